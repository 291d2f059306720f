"""CSV and XLSX exports of the dashboard's partnership table, laid out like the published NRF
allocation tables: one row per authority with each year's NRF allocation, then the chosen fund
and year's status, released and held, with every figure's provenance and source.

Each file starts with its header row and has one row per partnership. What the file is (when it
was written, the date its figures are as at, the fund and year, filters and sort, provenance,
licence) is said in its CSV on the Web metadata (`reporting.csvw`) and the XLSX's Notes sheet,
never in rows above the header. Text that a spreadsheet would run as a formula is written with a
leading apostrophe (`export_table.safe_text`).

The XLSX is written once per figures version and served from the figures cache until the
figures change (`xlsx_cached`); the one the dashboard's "Download XLSX" link asks for with
nothing chosen is written by the worker right after each committed change, so that its first
reader in each process reads the stored file (`reporting.figures_warm`,
docs/adr/0024-figures-warmed-after-commit.md). The CSV is streamed as the rows come from the
database.
"""

import csv
from collections.abc import Iterator
from datetime import date

from django.db.models import BigIntegerField, CharField, OuterRef, QuerySet, Subquery
from django.utils import timezone

from core import clock
from funding.models import Allocation, FinancialYear, Fund

from . import dashboard
from .export_table import (
    MONEY,
    SHARE,
    Column,
    ExportTable,
    pounds_decimal,
    safe_text,
    share,
)
from .figures_cache import figures_cached
from .figures_snapshots import EXPORT_XLSX
from .spreadsheet import xlsx_bytes

__all__ = ["csv_lines", "export_table", "pounds_decimal", "safe_text", "xlsx_cached",
           "xlsx_parts"]

NRF = "NRF"
TITLE = "Neighbourhood Renewal Unit: allocations, released and held"
SOURCE = ("LSP Portal: each partnership's allocation, and its released money as the sum of the "
          "release ledger; held is the allocation less released.")
PROVENANCE_NOTE = ("Provenance: published = from Hansard or the press; derived = by the 2 : 3 : 4 "
                   "rule from a published year; illustrative = filled in so that the national "
                   "total equals the published total, to be replaced by real figures.")
RIGHTS = ("Crown copyright. For Neighbourhood Renewal Unit staff: the figures of a cycle are "
          "public only once it is announced.")
STATUS_LABELS = {**dict(dashboard.STATUS_CHOICES), dashboard.NO_CYCLE: "No accreditation cycle"}


def _filters_text(filters: dashboard.TableFilters, region_name: str) -> str:
    parts = [
        f"region: {region_name or 'all'}",
        f"status: {STATUS_LABELS.get(filters.status, 'any') if filters.status else 'any'}",
        f"provenance: {filters.provenance or 'any'}",
    ]
    return "; ".join(parts)


def export_queryset(table: QuerySet[Allocation], years: list[FinancialYear],
                    nrf: Fund | None) -> QuerySet[Allocation]:
    """The table's rows with each year's NRF allocation and provenance annotated."""
    if nrf is None:
        return table
    annotations = {}
    for year in years:
        # At most one row (one allocation per partnership, fund and year); unordered, so that
        # each row's lookup is one index probe, not the model's ordering joined and sorted.
        same = Allocation.objects.filter(partnership=OuterRef("partnership_id"), fund=nrf,
                                         year=year).order_by()
        annotations[f"nrf_{year.start_year}"] = Subquery(
            same.values("amount_pence")[:1], output_field=BigIntegerField())
        annotations[f"nrf_{year.start_year}_provenance"] = Subquery(
            same.values("provenance")[:1], output_field=CharField())
    return table.annotate(**annotations)


def export_columns(scope: dashboard.DashboardScope, years: list[FinancialYear]) -> list[Column]:
    chosen = f"{scope.fund.code} {scope.year.label}"
    key = f"{scope.fund.code}_{scope.year.label.replace('/', '_')}".lower()
    cycle = f"{scope.cycle.name} cycle" if scope.cycle else "no cycle"
    if scope.cycle and not scope.cycle_governs:
        cycle += ", does not govern this fund's releases"
    columns = [
        Column("authority", "Authority", description="The local authority of the partnership."),
        Column("gss_code", "GSS code", description="The authority's ONS GSS code."),
        Column("region", "Region", description="The Government Office region."),
    ]
    for year in years:
        label = year.label.replace("/", "_")
        columns += [
            Column(f"nrf_{label}", f"NRF {year.label} (£)", MONEY,
                   f"The partnership's NRF allocation for {year.label}."),
            Column(f"nrf_{label}_provenance", f"NRF {year.label} provenance",
                   description="published, derived or illustrative."),
        ]
    columns += [
        Column("status", f"Status ({cycle})",
               description="The partnership's funding state in the cycle named."),
        Column(f"anticipated_{key}", f"Anticipated {chosen} (£)", MONEY,
               f"The partnership's {chosen} allocation."),
        Column(f"released_{key}", f"Released {chosen} (£)", MONEY,
               "The sum of the release ledger."),
        Column(f"held_{key}", f"Held {chosen} (£)", MONEY, "The allocation less released."),
        Column(f"released_share_{key}", "Released share", SHARE,
               "Released as a fraction of the allocation (0.67 is 67%)."),
        Column("provenance", "Provenance", description=f"Of the {chosen} allocation."),
        Column("source", "Source", description="The key of the source the figure came from."),
    ]
    return columns


def export_table(scope: dashboard.DashboardScope, *, filters: dashboard.TableFilters, sort: str,
                 descending: bool, region_name: str = "", as_at: date | None = None) -> ExportTable:
    """The partnership table as filtered and sorted on the dashboard, with its figures as at
    `as_at` (today by the service's clock when not given)."""
    as_at = as_at or clock.today()
    nrf = Fund.objects.filter(code=NRF).first()
    # The years NRF was allocated in (2001/02 to 2003/04), as the published tables have them.
    years = list(FinancialYear.objects.filter(allocations__fund=nrf).distinct()
                 .order_by("start_year")) if nrf else []
    table = dashboard.dashboard_table(scope, filters=filters, sort=sort, descending=descending)
    rows = export_queryset(table, years, nrf)
    direction = "descending" if descending else "ascending"

    def generate() -> Iterator[list]:
        for allocation in rows.iterator(chunk_size=2000):
            authority = allocation.partnership.local_authority
            row = [authority.name, authority.gss_code or "", authority.region.name]
            for year in years:
                row += [pounds_decimal(getattr(allocation, f"nrf_{year.start_year}")),
                        getattr(allocation, f"nrf_{year.start_year}_provenance") or ""]
            row += [
                STATUS_LABELS.get(allocation.status, allocation.status),
                pounds_decimal(allocation.amount_pence),
                pounds_decimal(allocation.released_pence),
                pounds_decimal(allocation.held_pence),
                share(allocation.released_pence, allocation.amount_pence),
                allocation.get_provenance_display(),
                allocation.source.key if allocation.source_id else "",
            ]
            yield row

    return ExportTable(
        title=TITLE,
        columns=export_columns(scope, years),
        rows=generate(),
        as_at=as_at,
        generated_at=timezone.localtime(clock.now()),
        source=SOURCE,
        provenance=PROVENANCE_NOTE,
        notes=[
            ("Fund and year", f"{scope.fund.code} {scope.year.label}"),
            ("As at", f"End of {as_at:%-d %B %Y}"),
            ("Filters", _filters_text(filters, region_name)),
            ("Sorted by", f"{sort if sort in dashboard.SORT_FIELDS else dashboard.DEFAULT_SORT}, "
                          f"{direction}"),
            ("Amounts", "Pounds sterling to the penny. Released is the sum of the release "
                        "ledger; held is the allocation less released."),
        ],
        filename_stem=export_filename_stem(scope, as_at),
        sheet_title="Allocations",
        rights=RIGHTS,
    )


def export_filename_stem(scope: dashboard.DashboardScope, as_at: date) -> str:
    stem = f"allocations-{scope.fund.code}-{scope.year.label.replace('/', '-')}-{as_at:%Y%m%d}"
    return stem.lower()


def _text_cells(row: list) -> list:
    return [safe_text(v) if isinstance(v, str) else ("" if v is None else v) for v in row]


class _Echo:
    def write(self, value):
        return value


def csv_lines(table: ExportTable) -> Iterator[str]:
    """The table as CSV lines, header first, one at a time (a streaming response writes them
    as they come). No byte order mark: the header row is the file's first line."""
    writer = csv.writer(_Echo())
    yield writer.writerow(_text_cells(table.header))
    for row in table.rows:
        yield writer.writerow(_text_cells(row))


def xlsx_parts(scope: dashboard.DashboardScope, *, filters: dashboard.TableFilters, sort: str,
               descending: bool, as_at: date) -> tuple:
    """What the XLSX is cached and stored under, beside the figures version (the region's name
    follows from its slug)."""
    return (scope.fund.pk, scope.year.pk, scope.cycle.pk if scope.cycle else 0,
            filters.region, filters.status, filters.provenance, sort, descending, as_at)


def xlsx_cached(scope: dashboard.DashboardScope, *, filters: dashboard.TableFilters, sort: str,
                descending: bool, region_name: str = "", as_at: date | None = None) -> bytes:
    """The XLSX of `export_table`, written once per figures version and served from the
    figures cache until the figures change (`figures_cache.figures_cached`); on a miss, the
    worker's file for this version when it wrote this one (`figures_warm`)."""
    as_at = as_at or clock.today()
    parts = xlsx_parts(scope, filters=filters, sort=sort, descending=descending, as_at=as_at)
    return figures_cached(EXPORT_XLSX, parts, lambda: xlsx_bytes(export_table(
        scope, filters=filters, sort=sort, descending=descending, region_name=region_name,
        as_at=as_at)))
