"""Published accreditation decisions: public, no sign-in, and nothing of a cycle before its
announcement date. Laid out like the written answer to Parliament that announced them; the same
list as open data in CSV and JSON."""

import csv
import io
from itertools import groupby

from django.http import Http404, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import View
from django.views.generic import TemplateView

from accreditation.models import FundingState
from core import clock

from . import published
from .exports import pounds_decimal, safe_text
from .figures_cache import figures_cached

DECISION_LABELS = {
    FundingState.ACCREDITED: "Accredited",
    FundingState.DEFERRED: "Deferred pending review",
    FundingState.UNDECIDED: "Not yet decided",
}
OPEN_DATA_FIELDS = ["cycle", "announcement_date", "region", "government_office", "authority",
                    "gss_code", "partnership", "decision", "decision_label", "review_date", "fund",
                    "year", "allocation_pence", "allocation_gbp", "provenance", "source"]


def _published_cycle_or_404(year_start: int):
    cycle = published.published_cycle(year_start=year_start, today=clock.today())
    if cycle is None:
        raise Http404("No decisions of that cycle have been published")
    return cycle


def _records(cycle) -> list[dict]:
    records = []
    for p in published.published_decisions(cycle):
        authority = p.local_authority
        records.append({
            "cycle": cycle.name,
            "announcement_date": cycle.announcement_date.isoformat(),
            "region": authority.region.name,
            "government_office": authority.region.government_office,
            "authority": authority.name,
            "gss_code": authority.gss_code or "",
            "partnership": p.name,
            "decision": p.decision,
            "decision_label": DECISION_LABELS.get(p.decision, p.decision),
            "review_date": p.review_date.isoformat() if p.review_date else "",
            "fund": published.PUBLISHED_FUND,
            "year": cycle.name,
            "allocation_pence": p.nrf_pence,
            "allocation_gbp": "" if p.nrf_pence is None else str(pounds_decimal(p.nrf_pence)),
            "provenance": p.nrf_provenance or "",
            "source": p.nrf_source or "",
        })
    return records


def _written_answer(cycle) -> str:
    """The cycle's decisions as the written answer's HTML, rendered once per change of the
    figures (`figures_cache.figures_cached`): the list is public and read far more than it changes."""

    def render():
        decisions = published.published_decisions(cycle)
        rows = list(decisions)
        for p in rows:
            p.decision_label = DECISION_LABELS.get(p.decision, p.decision)
        regions = []
        for name, members in groupby(rows, key=lambda p: p.local_authority.region.name):
            members = list(members)
            regions.append({
                "name": name,
                "government_office": members[0].local_authority.region.government_office,
                "rows": members,
            })
        return render_to_string("reporting/_written_answer.html", {
            "cycle": cycle, "regions": regions, "totals": published.published_totals(decisions),
        })

    return figures_cached("written-answer", (cycle.pk,), render)


class DecisionsListView(TemplateView):
    template_name = "reporting/decisions_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cycles = published.published_cycles(today=clock.today())
        context.update(cycles=[{"cycle": c, "written_answer": _written_answer(c)} for c in cycles])
        return context


class DecisionsShowView(TemplateView):
    template_name = "reporting/decisions_show.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cycle = _published_cycle_or_404(kwargs["year_start"])
        context.update(cycle=cycle, written_answer=_written_answer(cycle))
        return context


def _filename(cycle, extension: str) -> str:
    return f"lsp-accreditation-decisions-{cycle.name.replace('/', '-')}.{extension}"


class DecisionsCsvView(View):
    def get(self, request, year_start: int):
        cycle = _published_cycle_or_404(year_start)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=OPEN_DATA_FIELDS)
        writer.writeheader()
        for record in _records(cycle):
            writer.writerow({k: safe_text(v) if isinstance(v, str) else ("" if v is None else v)
                             for k, v in record.items()})
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{_filename(cycle, "csv")}"'
        return response


class DecisionsJsonView(View):
    def get(self, request, year_start: int):
        cycle = _published_cycle_or_404(year_start)
        response = JsonResponse({
            "cycle": cycle.name,
            "announcement_date": cycle.announcement_date.isoformat(),
            "fund": published.PUBLISHED_FUND,
            "year": cycle.name,
            "amounts": "allocation_pence is whole pence; allocation_gbp the same in pounds",
            "generated_at": clock.now().isoformat(),
            "decisions": _records(cycle),
        }, json_dumps_params={"ensure_ascii": False, "indent": 1})
        response["Content-Disposition"] = f'inline; filename="{_filename(cycle, "json")}"'
        return response
