"""Published accreditation decisions: public, no sign-in, and nothing of a cycle before its
announcement date on the service's clock. Each cycle is shown as it was announced, laid out like
the written answer to Parliament that announced it, with the decisions since as dated updates
beneath; the same lines as open data in CSV and JSON, with the announced status and the current
one. Before a cycle's announcement date its downloads exist only for NRU staff (a preview of the
decisions so far); its pages exist for nobody."""

from itertools import groupby

from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accreditation.models import Cycle, Decision, FundingState
from core import clock
from partnerships.models import NATIONAL_ROLES
from partnerships.selectors import user_has_role

from . import csvw, published
from .announcements import announcement_get_or_take
from .export_table import DATE, MONEY, PENCE, Column, ExportTable, pounds_decimal
from .exports import PROVENANCE_NOTE, csv_lines
from .figures_cache import figures_cached
from .models import Announcement

DECISION_LABELS = {
    FundingState.ACCREDITED: "Accredited",
    FundingState.DEFERRED: "Deferred pending review",
    FundingState.UNDECIDED: "Not yet decided",
}
# The open data's columns: the header row is their names.
OPEN_DATA_COLUMNS = [
    Column("cycle", "cycle", description="The accreditation cycle."),
    Column("announced_on", "announced_on", DATE, "The date the cycle's decisions were announced."),
    Column("region", "region", description="The Government Office region."),
    Column("government_office", "government_office"),
    Column("authority", "authority", description="The local authority."),
    Column("gss_code", "gss_code", description="The authority's ONS GSS code."),
    Column("partnership", "partnership", description="The Local Strategic Partnership."),
    Column("status_announced", "status_announced",
           description="The status announced on announced_on; it never changes."),
    Column("status_announced_label", "status_announced_label"),
    Column("review_date_announced", "review_date_announced", DATE,
           "While deferred at the announcement: the date of the review."),
    Column("status_current", "status_current", description="The status now."),
    Column("status_current_label", "status_current_label"),
    Column("status_current_since", "status_current_since", DATE,
           "The date the current status took effect."),
    Column("review_date_current", "review_date_current", DATE),
    Column("fund", "fund"),
    Column("year", "year", description="The financial year of the allocation."),
    Column("allocation_pence", "allocation_pence", PENCE, "The allocation in whole pence."),
    Column("allocation_gbp", "allocation_gbp", MONEY, "The allocation in pounds."),
    Column("released_at_announcement_pence", "released_at_announcement_pence", PENCE,
           "Released by the decisions announced."),
    Column("held_at_announcement_pence", "held_at_announcement_pence", PENCE,
           "Held at the announcement until a decision or a review."),
    Column("provenance", "provenance", description="published, derived or illustrative."),
    Column("source", "source", description="The key of the figure's source."),
]
OPEN_DATA_FIELDS = [column.name for column in OPEN_DATA_COLUMNS]
OPEN_DATA_SOURCE = ("LSP Portal: the cycle's announcement, kept as announced, and the "
                    "accreditation decisions recorded since.")


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


def cycle_for_download(request, year_start: int) -> tuple[Cycle, Announcement | None]:
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


def _open_data_table(cycle: Cycle, announcement: Announcement | None) -> ExportTable:
    """The cycle's decisions as open data, with what the file is (for its CSVW metadata)."""
    records = _records(cycle, announcement)
    notes = [("Cycle", cycle.name),
             ("Announced", f"{announcement.announced_on:%-d %B %Y}" if announcement
              else "Not yet announced: a preview for NRU staff")]
    return ExportTable(
        title=f"Accreditation of Local Strategic Partnerships: decisions of the {cycle.name} "
              "cycle",
        columns=OPEN_DATA_COLUMNS,
        rows=([record[name] for name in OPEN_DATA_FIELDS] for record in records),
        as_at=clock.today(), generated_at=timezone.localtime(clock.now()),
        source=OPEN_DATA_SOURCE, provenance=PROVENANCE_NOTE, notes=notes,
        filename_stem=_filename(cycle, "csv").removesuffix(".csv"),
    )


class DecisionsCsvView(View):
    """The cycle's decisions as CSV, header first, streamed; its CSVW metadata named in the
    `Link` header."""

    def get(self, request, year_start: int):
        cycle, announcement = cycle_for_download(request, year_start)
        table = _open_data_table(cycle, announcement)
        response = StreamingHttpResponse(csv_lines(table),
                                         content_type="text/csv; charset=utf-8; header=present")
        response["Content-Disposition"] = f'attachment; filename="{_filename(cycle, "csv")}"'
        response["Link"] = csvw.metadata_link(request.build_absolute_uri(
            reverse("reporting_public:decisions-csv-metadata", args=[year_start])))
        return response


class DecisionsCsvMetadataView(View):
    """The CSV's CSV on the Web metadata: columns, units, provenance, licence, as-at date."""

    def get(self, request, year_start: int):
        cycle, announcement = cycle_for_download(request, year_start)
        table = _open_data_table(cycle, announcement)
        csv_url = request.build_absolute_uri(
            reverse("reporting_public:decisions-csv", args=[year_start]))
        return JsonResponse(csvw.csvw_metadata(table, csv_url=csv_url),
                            content_type=csvw.MEDIA_TYPE,
                            json_dumps_params={"ensure_ascii": False, "indent": 1})


class DecisionsJsonView(View):
    def get(self, request, year_start: int):
        cycle, announcement = cycle_for_download(request, year_start)
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
