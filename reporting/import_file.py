"""Allocation import, the reading: a CSV or XLSX of figures into checked rows and the
allocations they would replace (`ImportPreview`). Nothing is written here; the write is
`reporting.import_write`. An XLSX is opened only through `reporting.import_workbook`, which
refuses hostile and damaged workbooks first."""

import csv
import io
import re
from decimal import Decimal, InvalidOperation

from core.models import Source
from core.money import pence_from_pounds
from funding.models import FinancialYear, Fund
from partnerships.models import LocalAuthority, Partnership

from .import_reshare import reshare_preview
from .import_rows import (
    ALLOWED_EXTENSIONS,
    COLUMN_LABELS,
    ImportChange,
    ImportFileError,
    ImportPreview,
    RowError,
    current_allocations,
)
from .import_workbook import NOT_XLSX, workbook_open_safely

MAX_ROWS = 5000
# Far above any single allocation (the whole NRF was £400m a year), far below BigIntegerField.
MAX_AMOUNT_PENCE = 10_000_000_000 * 100

COLUMNS = ("authority", "fund", "year", "amount", "source")
COLUMN_ALIASES = {
    "authority": "authority", "local authority": "authority", "authority name": "authority",
    "gss code": "authority", "authority or gss code": "authority", "la": "authority",
    "fund": "fund", "fund code": "fund",
    "year": "year", "financial year": "year",
    "amount": "amount", "amount (£)": "amount", "amount £": "amount", "amount gbp": "amount",
    "allocation": "amount", "allocation (£)": "amount",
    "source": "source", "source key": "source",
}
_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
_YEAR_OTHER_FORM = re.compile(r"^(\d{4})\s*[-/–]\s*(\d{2}|\d{4})$")


# --- Reading the file ---------------------------------------------------------------------------


def _read_csv(content: bytes) -> list[tuple[int, list]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" in its own code page.
        text = content.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise ImportFileError("The selected file is not a CSV file: save it as CSV or XLSX and "
                              "upload it again")
    try:
        return [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text)), start=1)]
    except csv.Error as error:
        raise ImportFileError(f"The selected file could not be read as CSV ({error})") from error


def _read_xlsx(content: bytes) -> list[tuple[int, list]]:
    # Hostile or damaged workbooks are refused before openpyxl reads them (import_workbook).
    workbook = workbook_open_safely(content)
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for n, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((n, list(row)))
            if n > MAX_ROWS + 50:
                break
        return rows
    except Exception as error:  # a cell openpyxl cannot read: the file's fault, never a 500
        raise ImportFileError(NOT_XLSX) from error
    finally:
        workbook.close()


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_key(value) -> str:
    text = re.sub(r"[\s_]+", " ", str(value or "")).strip().lower()
    return COLUMN_ALIASES.get(text, "")


def _columns(header: list) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = _header_key(cell)
        if not key:
            continue
        if key in found:
            raise ImportFileError(f"The header row names the {COLUMN_LABELS[key].lower()} column "
                                  "twice: keep one")
        found[key] = index
    missing = [c for c in COLUMNS if c not in found]
    if missing:
        raise ImportFileError(
            "The first row of the file must name the columns authority, fund, year, amount and "
            f"source (missing: {', '.join(missing)})"
        )
    return found


# --- Checking each value ------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", str(value)).strip()


def _amount_pence(value) -> int:
    """Pounds (text or a spreadsheet number) to whole pence. Raises ValueError with the message."""
    if _blank(value):
        raise ValueError("Enter the amount in pounds")
    if isinstance(value, bool):
        raise ValueError("Amount must be a number in pounds, like 1,234,567.89")
    if isinstance(value, float):
        # A spreadsheet number arrives as a float: its shortest decimal form is the number the
        # person typed (1234.56 -> "1234.56"); converting that string is exact.
        value = repr(value)
    text = str(value).strip()
    try:
        amount = Decimal(text.replace(",", "").replace("£", "").strip())
    except InvalidOperation:
        raise ValueError(f"Amount ‘{text}’ must be a number in pounds, like 1,234,567.89") from None
    if not amount.is_finite():
        raise ValueError(f"Amount ‘{text}’ must be a number in pounds, like 1,234,567.89")
    if amount < 0:
        raise ValueError(f"Amount {text} is negative: an allocation must be £0 or more")
    try:
        pence = pence_from_pounds(amount)
    except ValueError:
        raise ValueError(f"Amount {text} has fractions of a penny: use at most 2 decimal "
                         "places") from None
    if pence > MAX_AMOUNT_PENCE:
        raise ValueError(f"Amount {text} is too large for one allocation")
    return pence


def _year_start(value) -> int:
    text = _text(value)
    if not text:
        raise ValueError("Enter the financial year, like 2002/03")
    match = _YEAR.match(text)
    if not match:
        other = _YEAR_OTHER_FORM.match(text)
        example = (f"{other.group(1)}/{(int(other.group(1)) + 1) % 100:02d}" if other
                   else "2002/03")
        raise ValueError(f"Year ‘{text}’ must be a financial year written like {example}: four "
                         "digits, a slash, then the last two digits of the next year")
    start, end = int(match.group(1)), match.group(2)
    if int(end) != (start + 1) % 100:
        raise ValueError(f"Year ‘{text}’ is not a financial year: the second year must follow "
                         "the first, like 2002/03")
    return start


class _Lookups:
    """Everything a row is checked against, read once per file."""

    def __init__(self):
        authorities = LocalAuthority.objects.select_related("partnership").all()
        self.by_name = {_text(a.name).lower(): a for a in authorities}
        self.by_gss = {a.gss_code.upper(): a for a in authorities if a.gss_code}
        self.funds = {f.code.upper(): f for f in Fund.objects.all()}
        self.years = {y.start_year: y for y in FinancialYear.objects.all()}
        self.sources = {s.key.lower(): s for s in Source.objects.all()}

    def authority(self, value):
        text = _text(value)
        if not text:
            raise ValueError("Enter the authority’s name or GSS code")
        authority = self.by_gss.get(text.upper()) or self.by_name.get(text.lower())
        if authority is None:
            raise ValueError(f"Unknown authority ‘{text}’: use the name as the portal lists it or "
                             "its 2018 GSS code")
        try:
            partnership = authority.partnership
        except Partnership.DoesNotExist:
            raise ValueError(f"{authority.name} has no partnership in the portal") from None
        return authority, partnership

    def fund(self, value) -> Fund:
        text = _text(value)
        if not text:
            raise ValueError("Enter the fund, like NRF")
        fund = self.funds.get(text.upper())
        if fund is None:
            known = ", ".join(sorted(self.funds))
            raise ValueError(f"Unknown fund ‘{text}’: use one of {known}")
        return fund

    def year(self, value) -> FinancialYear:
        start = _year_start(value)
        year = self.years.get(start)
        if year is None:
            known = ", ".join(y.label for y in self.years.values())
            raise ValueError(f"There is no financial year {start}/{(start + 1) % 100:02d} in the "
                             f"portal: use one of {known}")
        return year

    def source(self, value) -> Source:
        text = _text(value)
        if not text:
            raise ValueError("Enter the source key of the figure, like HL2003")
        source = self.sources.get(text.lower())
        if source is None:
            raise ValueError(f"Unknown source key ‘{text}’: an NRU administrator must add the "
                             "source first")
        return source


def import_choices() -> dict:
    """What the import accepts, from the database, for the page: the funds, the financial years
    and the source keys."""
    return {"funds": list(Fund.objects.all()), "years": list(FinancialYear.objects.all()),
            "sources": list(Source.objects.order_by("key"))}


def import_template_csv() -> str:
    """The header row the import reads, as a CSV to fill in."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(COLUMNS)
    return buffer.getvalue()


def allocations_preview(*, filename: str, content: bytes) -> ImportPreview:
    """Read and check every row; nothing is written. Raises ImportFileError when the file as a
    whole cannot be used; row problems are collected in `errors`, one per value."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ALLOWED_EXTENSIONS:
        raise ImportFileError("The selected file must be a CSV or XLSX file")
    rows = _read_xlsx(content) if extension == "xlsx" else _read_csv(content)
    rows = [(n, row) for n, row in rows if not all(_blank(v) for v in row)]
    if not rows:
        raise ImportFileError("The selected file is empty")
    (_, header), *rows = rows
    columns = _columns(header)
    if not rows:
        raise ImportFileError("The selected file has a header row but no allocations")
    if len(rows) > MAX_ROWS:
        raise ImportFileError(f"The selected file has more than {MAX_ROWS:,} rows: split it")

    lookups = _Lookups()
    preview = ImportPreview(filename=filename[:200])
    seen: dict[tuple[int, int, int], int] = {}
    for number, row in rows:
        def cell(name, row=row):
            index = columns[name]
            return row[index] if index < len(row) else None

        values = {}
        for name, check in (("authority", lookups.authority), ("fund", lookups.fund),
                            ("year", lookups.year), ("amount", _amount_pence),
                            ("source", lookups.source)):
            try:
                values[name] = check(cell(name))
            except ValueError as error:
                preview.errors.append(RowError(number, name, str(error)))
        if len(values) < len(COLUMNS):
            continue
        authority, partnership = values["authority"]
        key = (partnership.pk, values["fund"].pk, values["year"].pk)
        if key in seen:
            preview.errors.append(RowError(
                number, "authority",
                f"Duplicate of row {seen[key]}: {authority.name} {values['fund'].code} "
                f"{values['year'].label} appears twice",
            ))
            continue
        seen[key] = number
        preview.changes.append(ImportChange(
            row=number, partnership_id=partnership.pk, fund_id=values["fund"].pk,
            year_id=values["year"].pk, amount_pence=values["amount"], source_id=values["source"].pk,
            authority=authority.name, fund_code=values["fund"].code,
            year_label=values["year"].label, source_key=values["source"].key,
        ))
    _attach_current(preview.changes)
    if not preview.errors:
        preview.reshares = reshare_preview(preview.changes)
    return preview


def _attach_current(changes: list[ImportChange]) -> None:
    current = current_allocations({c.key for c in changes})
    for change in changes:
        allocation = current.get(change.key)
        if allocation is not None:
            change.allocation_id = allocation.pk
            change.before_pence = allocation.amount_pence
            change.before_provenance = allocation.provenance
            change.before_source_id = allocation.source_id
            change.before_source_key = allocation.source.key if allocation.source else ""
