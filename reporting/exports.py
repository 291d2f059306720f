"""CSV and XLSX exports of the dashboard's partnership table, laid out like the published NRF
allocation tables: one row per authority with each year's NRF allocation, then the chosen fund
and year's status, released and held, with every figure's provenance and source.

Files start with header rows saying when they were generated, for which fund and year, and with
which filters, so a copy read later says what it is. Text that a spreadsheet would run as a
formula (starting = + - @, tab or carriage return) is written with a leading apostrophe.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import BigIntegerField, CharField, OuterRef, QuerySet, Subquery
from django.utils import timezone

from core import clock
from funding.models import Allocation, FinancialYear, Fund

from . import dashboard

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NRF = "NRF"
TITLE = "Neighbourhood Renewal Unit: allocations, released and held"
PROVENANCE_NOTE = ("Provenance: published = from Hansard or the press; derived = by the 2 : 3 : 4 "
                   "rule from a published year; illustrative = filled in so that the national "
                   "total equals the published total, to be replaced by real figures.")
STATUS_LABELS = {**dict(dashboard.STATUS_CHOICES), dashboard.NO_CYCLE: "No accreditation cycle"}


def safe_text(value: str) -> str:
    """Text a spreadsheet shows as text: a leading apostrophe stops it being run as a formula."""
    if value and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def pounds_decimal(pence: int | None) -> Decimal | None:
    """Whole pence as an exact Decimal of pounds with two places (123456 -> 1234.56)."""
    if pence is None:
        return None
    return Decimal(int(pence)).scaleb(-2)


@dataclass(frozen=True)
class ExportTable:
    meta: list[list[str]]
    header: list[str]
    rows: Iterable[list]
    money_columns: frozenset[int]
    filename_stem: str


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
        same = Allocation.objects.filter(partnership=OuterRef("partnership_id"), fund=nrf, year=year)
        annotations[f"nrf_{year.start_year}"] = Subquery(
            same.values("amount_pence")[:1], output_field=BigIntegerField())
        annotations[f"nrf_{year.start_year}_provenance"] = Subquery(
            same.values("provenance")[:1], output_field=CharField())
    return table.annotate(**annotations)


def export_table(scope: dashboard.DashboardScope, *, filters: dashboard.TableFilters, sort: str,
                 descending: bool, region_name: str = "") -> ExportTable:
    nrf = Fund.objects.filter(code=NRF).first()
    # The years NRF was allocated in (2001/02 to 2003/04), as the published tables have them.
    years = list(FinancialYear.objects.filter(allocations__fund=nrf).distinct()
                 .order_by("start_year")) if nrf else []
    table = dashboard.dashboard_table(scope, filters=filters, sort=sort, descending=descending)
    rows = export_queryset(table, years, nrf)
    chosen = f"{scope.fund.code} {scope.year.label}"
    cycle = f"{scope.cycle.name} cycle" if scope.cycle else "no cycle"
    if scope.cycle and not scope.cycle_governs:
        cycle += ", does not govern this fund's releases"
    now = timezone.localtime(clock.now())
    direction = "descending" if descending else "ascending"
    meta = [
        [TITLE],
        ["Generated", f"{now:%-d %B %Y %H:%M} ({now.tzname()})"],
        ["Fund and year", chosen],
        ["As at", f"End of {scope.as_at:%-d %B %Y}" if scope.as_at else "Now"],
        ["Filters", _filters_text(filters, region_name)],
        ["Sorted by", f"{sort if sort in dashboard.SORT_FIELDS else dashboard.DEFAULT_SORT}, "
                      f"{direction}"],
        ["Amounts", "Pounds sterling. Released is the sum of the release ledger; held is the "
                    "allocation less released."],
        ["Provenance", PROVENANCE_NOTE],
        [],
    ]
    header = ["Authority", "GSS code", "Region"]
    if nrf is not None:
        for year in years:
            header += [f"NRF {year.label} (£)", f"NRF {year.label} provenance"]
    header += [f"Status ({cycle})", f"Anticipated {chosen} (£)", f"Released {chosen} (£)",
               f"Held {chosen} (£)", "Provenance", "Source"]
    money = set()
    if nrf is not None:
        money.update(3 + 2 * n for n in range(len(years)))
    first_figure = len(header) - 5
    money.update({first_figure, first_figure + 1, first_figure + 2})

    def generate() -> Iterator[list]:
        for allocation in rows.iterator(chunk_size=2000):
            authority = allocation.partnership.local_authority
            row = [authority.name, authority.gss_code or "", authority.region.name]
            if nrf is not None:
                for year in years:
                    row += [pounds_decimal(getattr(allocation, f"nrf_{year.start_year}")),
                            getattr(allocation, f"nrf_{year.start_year}_provenance") or ""]
            row += [
                STATUS_LABELS.get(allocation.status, allocation.status),
                pounds_decimal(allocation.amount_pence),
                pounds_decimal(allocation.released_pence),
                pounds_decimal(allocation.held_pence),
                allocation.get_provenance_display(),
                allocation.source.key if allocation.source_id else "",
            ]
            yield row

    stem = f"allocations-{scope.fund.code}-{scope.year.label.replace('/', '-')}-{now:%Y%m%d}"
    if scope.as_at:
        stem += f"-as-at-{scope.as_at:%Y%m%d}"
    return ExportTable(meta=meta, header=header, rows=generate(), money_columns=frozenset(money),
                       filename_stem=stem.lower())


def _text_cells(row: list) -> list:
    return [safe_text(v) if isinstance(v, str) else ("" if v is None else v) for v in row]


class _Echo:
    def write(self, value):
        return value


def csv_lines(table: ExportTable) -> Iterator[str]:
    """The table as CSV lines, one at a time (a streaming response writes them as they come)."""
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so Excel reads the file as UTF-8 and shows £ correctly
    for row in table.meta:
        yield writer.writerow(_text_cells(row))
    yield writer.writerow(_text_cells(table.header))
    for row in table.rows:
        yield writer.writerow(_text_cells(row))


def xlsx_bytes(table: ExportTable) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Allocations")
    bold = Font(bold=True)

    def text_cell(value, *, strong=False):
        cell = WriteOnlyCell(sheet, value=safe_text(ILLEGAL_CHARACTERS_RE.sub("", value)))
        if strong:
            cell.font = bold
        return cell

    for n, row in enumerate(table.meta):
        sheet.append([text_cell(v, strong=(n == 0 or i == 0)) for i, v in enumerate(row)])
    sheet.append([text_cell(v, strong=True) for v in table.header])
    for row in table.rows:
        cells = []
        for index, value in enumerate(row):
            if isinstance(value, str):
                cells.append(text_cell(value))
            else:
                cell = WriteOnlyCell(sheet, value=value)
                if index in table.money_columns:
                    cell.number_format = "#,##0.00"
                cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

