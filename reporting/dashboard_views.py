"""The NRU national dashboard, its exports and drill-down, and the allocation import.

NRU analysts and administrators only; anyone else signed in gets 404 (the pages do not exist
for them), anyone signed out is sent to sign in. The import is for administrators only.
"""

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from core.errors import ApplicationError
from core.models import Provenance
from funding.as_at import AsAt, as_at_read
from funding.selectors import partnership_funding_summary
from funding.views import timeline_with_links
from partnerships.models import NATIONAL_ROLES, Role
from partnerships.selectors import partnerships_visible_to, user_has_role

from . import charts, csvw, dashboard, dashboard_choices, exports
from .dashboard_forms import AllocationUploadForm, DashboardFilterForm
from .import_file import allocations_preview, import_choices, import_template_csv
from .import_reshare import national_total_note
from .import_rows import SESSION_KEY, ImportFileError, ImportPreview
from .import_write import allocations_import

PAGE_SIZE = 50
# The as-at form's parameters: the day as YYYY-MM-DD, or the GOV.UK date input's three fields.
AS_AT_NAMES = ("as_at", "as_at_0", "as_at_1", "as_at_2")


class NruOnlyMixin(LoginRequiredMixin):
    """Signed out: to the sign-in page. Signed in without an NRU role: 404."""

    roles: tuple[str, ...] = NATIONAL_ROLES

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not user_has_role(request.user, *self.roles):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class KnownCountPaginator(Paginator):
    """Page numbers from a count alone (the headline already counted the matching rows); the
    page's rows are fetched separately (`dashboard.dashboard_page_rows`)."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


@dataclass
class TableRequest:
    """What the dashboard and its exports were asked for, checked."""

    form: DashboardFilterForm
    scope: dashboard.DashboardScope | None
    funds: list
    years: list
    regions: list
    filters: dashboard.TableFilters
    sort: str
    descending: bool
    as_at: AsAt
    budgets_only: bool = False  # regional budgets and no allocations (dashboard_choices.py)
    published_total_pence: int | None = None

    @property
    def region_name(self) -> str:
        return next((r.name for r in self.regions if r.slug == self.filters.region), "")


def table_request(params: QueryDict) -> TableRequest:
    """Read the fund, year, filters and sort from the query string. Anything not valid is
    reported by the form and left out; it never fails the page."""
    # Only the fund-years with allocations or budgets are offered (reporting/dashboard_choices.py).
    choice = dashboard_choices.chosen(params.get("fund", ""), params.get("year", ""))
    fund, year, funds, years = choice.fund, choice.year, choice.funds, choice.years
    as_at = as_at_read(params, earliest=min((y.starts_on for y in years), default=None),
                       earliest_known=True)
    scope = dashboard.dashboard_scope(fund=fund, year=year) if fund and year else None
    if scope is not None and as_at.past is not None:
        scope = replace(scope, as_at=as_at.past)
    regions = list(dashboard.dashboard_regions(scope)) if scope else []
    effective = {"fund": getattr(fund, "code", ""), "year": getattr(year, "label", "")}
    data = None
    if params:
        # The selects show what the page shows: the fund and year in use when none (or a bad
        # one) was asked for, and no filter where a filter was not valid.
        data = params.copy()
        for name, value in effective.items():
            data.setdefault(name, value)
    form = DashboardFilterForm(data, funds=funds, years=years, regions=regions, initial=effective)
    if form.is_bound:
        form.is_valid()
        for name in form.fields:
            if name in data and name not in form.cleaned_data:
                data[name] = effective.get(name, "")
    filters = dashboard.TableFilters(
        region=form.value("region"), status=form.value("status"),
        provenance=form.value("provenance"),
    )
    return TableRequest(
        form=form, scope=scope, funds=funds, years=years, regions=regions, filters=filters,
        sort=form.value("sort", dashboard.DEFAULT_SORT), descending=form.value("order") == "desc",
        budgets_only=choice.budgets_only, published_total_pence=choice.published_total_pence,
        as_at=as_at,
    )


def _query(params: QueryDict, **changes) -> str:
    query = params.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


def _pagination(page, params: QueryDict) -> list[dict]:
    """GOV.UK pagination items: first, last, the current page and its neighbours, ellipses."""
    total = page.paginator.num_pages
    wanted = {1, total, page.number - 1, page.number, page.number + 1}
    items, previous = [], 0
    for number in sorted(n for n in wanted if 1 <= n <= total):
        if number - previous > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "current": number == page.number,
                      "href": "?" + _query(params, page=str(number))})
        previous = number
    return items


def _share(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal(0)
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


DRILLDOWN_MARKER = "drill-down-slug"
PROVENANCE_LABELS = dict(Provenance.choices)


def _for_display(rows: list[dict], as_at: AsAt) -> list[dict]:
    """The page's rows (`dashboard.dashboard_page_rows`), each with `drilldown_href` (one
    `reverse` for the page rather than one per row, the slug put in its place, on the same
    day) and the label of its provenance."""
    link = reverse("reporting:partnership-show", args=[DRILLDOWN_MARKER])
    if as_at.past:
        link += f"?{as_at.query()}"
    for row in rows:
        row["drilldown_href"] = link.replace(DRILLDOWN_MARKER, row["slug"])
        row["provenance_label"] = PROVENANCE_LABELS.get(row["provenance"], row["provenance"])
    return rows


COLUMNS = [
    ("authority", "Partnership", False),
    ("region", "Region", False),
    ("status", "Status", False),
    ("anticipated", "Anticipated", True),
    ("released", "Released", True),
    ("held", "Held", True),
    ("provenance", "Provenance", False),
]


class DashboardShowView(NruOnlyMixin, TemplateView):
    template_name = "reporting/dashboard_show.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        req = table_request(params)
        context.update(form=req.form, scope=req.scope, table_request=req, as_at=req.as_at,
                       is_admin=user_has_role(self.request.user, Role.NRU_ADMIN),
                       today_query=_query(params, page=None, **dict.fromkeys(AS_AT_NAMES)))
        if req.scope is None:
            return context
        if req.budgets_only:  # published by region only: its budgets, not £0 of partnerships
            context.update(chosen=f"{req.scope.fund.code} {req.scope.year.label}",
                           budgets=dashboard_choices.regional_budgets(fund=req.scope.fund,
                                                                      year=req.scope.year))
            return context
        headline = dashboard.dashboard_headline(req.scope, regions=req.regions,
                                                filters=req.filters)
        paginator = KnownCountPaginator((), PAGE_SIZE, count=headline.matching)
        page = paginator.get_page(params.get("page"))
        rows = dashboard.dashboard_page_rows(
            req.scope, filters=req.filters, sort=req.sort, descending=req.descending,
            offset=(page.number - 1) * PAGE_SIZE, limit=PAGE_SIZE,
        ) if headline.matching else []
        chosen = f"{req.scope.fund.code} {req.scope.year.label}"
        without_page = _query(params, page=None)
        columns = []
        for key, label, numeric in COLUMNS:
            current = req.sort == key
            next_order = "asc" if current and req.descending else (
                "desc" if current or numeric else "asc")
            columns.append({
                "key": key, "label": label, "numeric": numeric, "current": current,
                "aria_sort": ("descending" if req.descending else "ascending") if current else "none",
                "href": "?" + _query(params, sort=key, order=next_order, page=None),
            })
        context.update(
            headline=headline,
            chosen=chosen,
            as_at_keep=[(name, value) for name, value in (
                ("fund", req.scope.fund.code), ("year", req.scope.year.label),
                ("region", req.filters.region), ("status", req.filters.status),
                ("provenance", req.filters.provenance), ("sort", req.form.value("sort")),
                ("order", req.form.value("order"))) if value],
            provenance_shares=[
                {"value": value, "label": label, "pence": pence,
                 "share": _share(pence, headline.anticipated_pence)}
                for value, label, pence in headline.by_provenance
            ],
            regions=req.regions,
            chart=charts.released_held_chart(
                [charts.Bar(r.name, r.released_pence, r.held_pence) for r in req.regions],
                title=f"{chosen}: released and held by region",
                description=(
                    f"Bar chart of the {chosen} money released and held in each Government "
                    "Office region. The table below the chart gives the same figures."
                ),
            ),
            page=page,
            rows=_for_display(rows, req.as_at),
            pagination=_pagination(page, params) if paginator.num_pages > 1 else [],
            previous_href=("?" + _query(params, page=str(page.previous_page_number()))
                           if page.has_previous() else ""),
            next_href=("?" + _query(params, page=str(page.next_page_number()))
                       if page.has_next() else ""),
            columns=columns,
            export_query=without_page,
            reconcile=dashboard.reconcile_state(),
            total_note=national_total_note(
                fund=req.scope.fund, year=req.scope.year, total_pence=req.published_total_pence,
                anticipated_pence=headline.anticipated_pence,
                illustrative_pence=headline.illustrative_pence),
        )
        return context


class DashboardExportView(NruOnlyMixin, View):
    """The partnership table, as filtered and sorted on the page, as CSV (streamed, its CSVW
    metadata named in a `Link` header) or XLSX (written once per figures version; with nothing
    chosen, written by the worker right after each change: `reporting.figures_warm`)."""

    def get(self, request, fmt: str):
        req = table_request(request.GET)
        if req.scope is None:
            raise Http404("No allocations loaded")
        if req.as_at.error:  # a file of today's figures would pass for that day's
            return HttpResponseBadRequest(req.as_at.error, content_type="text/plain; charset=utf-8")
        options = {"filters": req.filters, "sort": req.sort, "descending": req.descending,
                   "region_name": req.region_name}
        as_at = req.as_at.day
        stem = exports.export_filename_stem(req.scope, as_at)
        response: HttpResponse | StreamingHttpResponse
        if fmt == "csv":
            table = exports.export_table(req.scope, as_at=as_at, **options)
            response = StreamingHttpResponse(exports.csv_lines(table),
                                             content_type="text/csv; charset=utf-8; header=present")
            response["Link"] = csvw.metadata_link(_metadata_url(request))
        else:
            response = HttpResponse(
                exports.xlsx_cached(req.scope, as_at=as_at, **options),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
        response["Cache-Control"] = "private, no-store"
        return response


def _metadata_url(request) -> str:
    query = request.GET.urlencode()
    url = request.build_absolute_uri(reverse("reporting:dashboard-export-csv-metadata"))
    return f"{url}?{query}" if query else url


class DashboardExportMetadataView(NruOnlyMixin, View):
    """The CSV export's CSV on the Web metadata: its columns, units, provenance, licence and
    the date its figures are as at."""

    def get(self, request):
        req = table_request(request.GET)
        if req.scope is None:
            raise Http404("No allocations loaded")
        if req.as_at.error:
            return HttpResponseBadRequest(req.as_at.error, content_type="text/plain; charset=utf-8")
        table = exports.export_table(req.scope, filters=req.filters, sort=req.sort,
                                     descending=req.descending, region_name=req.region_name,
                                     as_at=req.as_at.day)
        query = request.GET.urlencode()
        csv_url = request.build_absolute_uri(reverse("reporting:dashboard-export-csv"))
        response = JsonResponse(
            csvw.csvw_metadata(table, csv_url=f"{csv_url}?{query}" if query else csv_url),
            content_type=csvw.MEDIA_TYPE, json_dumps_params={"ensure_ascii": False, "indent": 1})
        response["Cache-Control"] = "private, no-store"
        return response


class PartnershipShowView(NruOnlyMixin, TemplateView):
    """One partnership's history: assessments, decisions and letters, money and its timeline."""

    template_name = "reporting/partnership_show.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        partnership = get_object_or_404(partnerships_visible_to(self.request.user),
                                        slug=kwargs["slug"])
        as_at = as_at_read(self.request.GET)
        context.update(
            partnership=partnership,
            as_at=as_at,
            assessments=list(dashboard.partnership_assessments(
                partnership, user=self.request.user, as_at=as_at.past)),
            summary=partnership_funding_summary(partnership=partnership, as_at=as_at.past),
            timeline=timeline_with_links(user=self.request.user, partnership=partnership,
                                         as_at=as_at.past),
        )
        return context


class AllocationImportView(NruOnlyMixin, View):
    """Upload a file and see what it would change. Nothing is written here."""

    roles = (Role.NRU_ADMIN,)
    template_name = "reporting/allocations_import.html"
    preview_template_name = "reporting/allocations_import_preview.html"

    def _form_page(self, request, form):
        return render(request, self.template_name, {"form": form, **import_choices()})

    def get(self, request):
        return self._form_page(request, AllocationUploadForm())

    def post(self, request):
        form = AllocationUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._form_page(request, form)
        upload = form.cleaned_data["file"]
        try:
            preview = allocations_preview(filename=upload.name, content=upload.read())
        except ImportFileError as error:
            form.add_error("file", error.message)
            return self._form_page(request, form)
        if preview.errors:
            request.session.pop(SESSION_KEY, None)
        else:
            request.session[SESSION_KEY] = preview.to_session()
        return render(request, self.preview_template_name, {"preview": preview})


class AllocationImportTemplateView(NruOnlyMixin, View):
    """The import's header row as a CSV to fill in."""

    roles = (Role.NRU_ADMIN,)

    def get(self, request):
        response = HttpResponse(import_template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="allocations-import-template.csv"'
        return response


class AllocationImportConfirmView(NruOnlyMixin, View):
    """Write the previewed file: all rows or none."""

    roles = (Role.NRU_ADMIN,)

    def post(self, request):
        stored = request.session.get(SESSION_KEY)
        if not stored or stored.get("token") != request.POST.get("token"):
            messages.error(request, "That preview is no longer available: upload the file again. "
                                    "Nothing was imported.")
            return redirect("reporting:allocations-import")
        preview = ImportPreview.from_session(stored)
        try:
            result = allocations_import(preview=preview, by=request.user)
        except ApplicationError as error:
            request.session.pop(SESSION_KEY, None)
            messages.error(request, error.message)
            return redirect("reporting:allocations-import")
        request.session.pop(SESSION_KEY, None)
        if result.created or result.updated:
            messages.success(
                request,
                f"Imported {preview.filename}: {result.updated} allocation"
                f"{'s' if result.updated != 1 else ''} changed, {result.created} added, "
                f"{result.unchanged} already up to date"
                + (f", {result.reshared} illustrative figure{'s' if result.reshared != 1 else ''} "
                   "re-shared to keep the national total" if result.reshared else "")
                + ". Released and held amounts are being recomputed.",
            )
        else:
            messages.info(request, f"Nothing to import: every figure in {preview.filename} "
                                   "is already in the portal.")
        # To the dashboard of the fund and year imported (the one with most rows).
        query = ""
        if result.fund_years:
            fund, year = result.fund_years[0]
            params = QueryDict(mutable=True)
            params.update({"fund": fund, "year": year})
            query = "?" + params.urlencode()
        return redirect(reverse("reporting:dashboard-show") + query)
