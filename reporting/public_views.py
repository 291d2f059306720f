"""Published accreditation decisions: public, no sign-in, and nothing of a cycle before its
announcement date on the service's clock. Each cycle is shown as it was announced, laid out like
the written answer to Parliament that announced it, with the decisions since as dated updates
beneath; the same lines as open data in CSV and JSON, with the announced status and the current
one. Before a cycle's announcement date its downloads exist only for NRU staff (a preview of the
decisions so far); its pages exist for nobody."""

import csv
import io
from itertools import groupby

from django.http import Http404, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import View
from django.views.generic import TemplateView

from accreditation.models import Cycle, Decision, FundingState
from core import clock
from partnerships.models import NATIONAL_ROLES
from partnerships.selectors import user_has_role

from . import published
from .announcements import announcement_get_or_take
from .exports import pounds_decimal, safe_text
from .figures_cache import figures_cached
from .models import Announcement

DECISION_LABELS = {
    FundingState.ACCREDITED: "Accredited",
    FundingState.DEFERRED: "Deferred pending review",
    FundingState.UNDECIDED: "Not yet decided",
}
OPEN_DATA_FIELDS = [
    "cycle", "announced_on", "region", "government_office", "authority", "gss_code",
    "partnership", "status_announced", "status_announced_label", "review_date_announced",
    "status_current", "status_current_label", "status_current_since", "review_date_current",
    "fund", "year", "allocation_pence", "allocation_gbp", "released_at_announcement_pence",
    "held_at_announcement_pence", "provenance", "source",
]


def _label(state: str) -> str:
    return DECISION_LABELS.get(state, state)


def _iso(day) -> str:
    return day.isoformat() if day else ""


def _announced_or_404(year_start: int) -> tuple[Cycle, Announcement]:
    today = clock.today()
    cycle = published.published_cycle(year_start=year_start, today=today)
    announcement = cycle and announcement_get_or_take(cycle=cycle, today=today)
    if not announcement:
        raise Http404("No decisions of that cycle have been published")
    return cycle, announcement


def _announced_records(cycle: Cycle, announcement: Announcement) -> list[dict]:
    records = []
    for line in published.announced_lines(announcement):
        allocation = line.allocation_pence
        records.append({
            "cycle": cycle.name,
            "announced_on": _iso(announcement.announced_on),
            "region": line.region,
            "government_office": line.government_office,
            "authority": line.authority,
            "gss_code": line.gss_code,
            "partnership": line.partnership_name,
            "status_announced": line.status,
            "status_announced_label": _label(line.status),
            "review_date_announced": _iso(line.review_date),
            "status_current": line.status_current,
            "status_current_label": _label(line.status_current),
            "status_current_since": _iso(line.changed_on or announcement.announced_on),
            "review_date_current": _iso(line.review_date_current),
            "fund": announcement.fund_code,
            "year": announcement.year_label,
            "allocation_pence": allocation,
            "allocation_gbp": "" if allocation is None else str(pounds_decimal(allocation)),
            "released_at_announcement_pence": line.released_pence,
            "held_at_announcement_pence": line.held_pence,
            "provenance": line.provenance,
            "source": line.source,
        })
    return records


def _preview_records(cycle: Cycle) -> list[dict]:
    """A cycle not yet announced, for NRU staff: the decisions so far, nothing announced."""
    since = dict(
        Decision.objects.filter(
            assessment__cycle=cycle, outcome__in=list(published.FUNDING_OUTCOMES))
        .order_by("assessment__partnership_id", "id")
        .values_list("assessment__partnership_id", "decided_on")
    )
    records = []
    for p in published.published_decisions(cycle):
        authority = p.local_authority
        records.append({
            "cycle": cycle.name, "announced_on": "",
            "region": authority.region.name,
            "government_office": authority.region.government_office,
            "authority": authority.name, "gss_code": authority.gss_code or "",
            "partnership": p.name,
            "status_announced": "", "status_announced_label": "", "review_date_announced": "",
            "status_current": p.decision, "status_current_label": _label(p.decision),
            "status_current_since": _iso(since.get(p.pk)),
            "review_date_current": _iso(p.review_date),
            "fund": published.PUBLISHED_FUND, "year": cycle.name,
            "allocation_pence": p.nrf_pence,
            "allocation_gbp": "" if p.nrf_pence is None else str(pounds_decimal(p.nrf_pence)),
            "released_at_announcement_pence": None, "held_at_announcement_pence": None,
            "provenance": p.nrf_provenance or "", "source": p.nrf_source or "",
        })
    return records


def _written_answer(cycle: Cycle, announcement: Announcement, *, heading_level: int) -> str:
    """The cycle's announcement as the written answer's HTML, with the updates since beneath,
    rendered once per change of the figures (`figures_cache.figures_cached`, which decisions and
    announcements move): the list is public and read far more than it changes. What was
    announced comes from the record alone, so no cached page can show it rewritten."""

    def render():
        lines = list(announcement.decisions.order_by("position"))
        regions = []
        for name, members in groupby(lines, key=lambda line: line.region):
            members = list(members)
            for line in members:
                line.label = _label(line.status)
            regions.append({"name": name, "government_office": members[0].government_office,
                            "rows": members})
        return render_to_string("reporting/_written_answer.html", {
            "cycle": cycle, "announcement": announcement, "regions": regions,
            "updates": published.announcement_updates(announcement),
            "heading_level": heading_level,
        })

    return figures_cached("written-answer", (cycle.pk, announcement.pk, heading_level), render)


class DecisionsListView(TemplateView):
    template_name = "reporting/decisions_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = clock.today()
        cycles = []
        for cycle in published.published_cycles(today=today):
            announcement = announcement_get_or_take(cycle=cycle, today=today)
            if announcement is not None:
                cycles.append({"cycle": cycle, "announcement": announcement,
                               "written_answer": _written_answer(cycle, announcement,
                                                                 heading_level=3)})
        context.update(cycles=cycles)
        return context


class DecisionsShowView(TemplateView):
    template_name = "reporting/decisions_show.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cycle, announcement = _announced_or_404(kwargs["year_start"])
        context.update(cycle=cycle, announcement=announcement,
                       written_answer=_written_answer(cycle, announcement, heading_level=2))
        return context


def _filename(cycle, extension: str) -> str:
    return f"lsp-accreditation-decisions-{cycle.name.replace('/', '-')}.{extension}"


def _download(request, year_start: int) -> tuple[Cycle, Announcement | None]:
    """The cycle and its announcement; before the announcement date only NRU staff get the
    cycle (and no announcement), everyone else a 404."""
    try:
        return _announced_or_404(year_start)
    except Http404:
        if not (request.user.is_authenticated and user_has_role(request.user, *NATIONAL_ROLES)):
            raise
    cycle = Cycle.objects.filter(year_start=year_start).first()
    if cycle is None:
        raise Http404("No such cycle")
    return cycle, None


def _records(cycle: Cycle, announcement: Announcement | None) -> list[dict]:
    if announcement is None:
        return _preview_records(cycle)
    return _announced_records(cycle, announcement)


class DecisionsCsvView(View):
    def get(self, request, year_start: int):
        cycle, announcement = _download(request, year_start)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=OPEN_DATA_FIELDS)
        writer.writeheader()
        for record in _records(cycle, announcement):
            writer.writerow({k: safe_text(v) if isinstance(v, str) else ("" if v is None else v)
                             for k, v in record.items()})
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{_filename(cycle, "csv")}"'
        return response


class DecisionsJsonView(View):
    def get(self, request, year_start: int):
        cycle, announcement = _download(request, year_start)
        updates = published.announcement_updates(announcement) if announcement else []
        response = JsonResponse({
            "cycle": cycle.name,
            "announced_on": _iso(announcement.announced_on) if announcement else None,
            "announced": announcement is not None,
            "fund": announcement.fund_code if announcement else published.PUBLISHED_FUND,
            "year": announcement.year_label if announcement else cycle.name,
            "amounts": "allocation_pence is whole pence; allocation_gbp the same in pounds",
            "statuses": "status_announced is the status announced on announced_on and never "
                        "changes; status_current is the status now, since status_current_since",
            "generated_at": clock.now().isoformat(),
            "decisions": _records(cycle, announcement),
            "updates_since_announcement": [
                {"on": u.on.isoformat(), "partnership": u.partnership, "text": u.text}
                for u in updates
            ],
        }, json_dumps_params={"ensure_ascii": False, "indent": 1})
        response["Content-Disposition"] = f'inline; filename="{_filename(cycle, "json")}"'
        return response
