"""Allocation import: read a CSV or XLSX of figures, preview what would change, then write all
rows or none.

Between the preview and the confirmation the validated rows are kept in the user's session
(database-backed), as compact ids and pence rather than the file itself: nothing to clean up, no
temporary file another process could swap, only the person who previewed can confirm, and it
expires with the session. Each kept row also remembers the allocation as it was at preview time;
confirming refuses (and writes nothing) if any of them changed since, so what is written is
exactly what was shown.
"""

import csv
import io
import logging
import re
import secrets
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from core.errors import ApplicationError
from core.models import Provenance, Source
from core.money import pence_from_pounds
from funding.models import Allocation, FinancialYear, Fund, RecomputeRequest
from funding.outbox import recompute_request
from partnerships.models import LocalAuthority, Partnership, Role
from partnerships.selectors import user_has_role

logger = logging.getLogger(__name__)

ALLOWED_EXTENSIONS = ("csv", "xlsx")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ROWS = 5000
# Far above any single allocation (the whole NRF was £400m a year), far below BigIntegerField.
MAX_AMOUNT_PENCE = 10_000_000_000 * 100
SESSION_KEY = "funding.allocation_import"

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
COLUMN_LABELS = {
    "authority": "Authority", "fund": "Fund", "year": "Year", "amount": "Amount", "source": "Source",
}
_YEAR = re.compile(r"^(\d{4})\s*[/-]\s*(\d{2}|\d{4})$")


class ImportFileError(ApplicationError):
    """The file as a whole cannot be read: wrong type, no header, too many rows."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    @property
    def column_label(self) -> str:
        return COLUMN_LABELS.get(self.column, self.column)


@dataclass
class ImportChange:
    """One valid row of the file and the allocation it would replace."""

    row: int
    partnership_id: int
    fund_id: int
    year_id: int
    amount_pence: int
    source_id: int
    allocation_id: int | None = None
    before_pence: int | None = None
    before_provenance: str = ""
    before_source_id: int | None = None
    # For the preview page only; not kept in the session.
    authority: str = ""
    fund_code: str = ""
    year_label: str = ""
    source_key: str = ""
    before_source_key: str = ""

    KEPT = ("row", "partnership_id", "fund_id", "year_id", "amount_pence", "source_id",
            "allocation_id", "before_pence", "before_provenance", "before_source_id")

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.partnership_id, self.fund_id, self.year_id)

    @property
    def kind(self) -> str:
        if self.allocation_id is None:
            return "new"
        if (self.before_pence, self.before_provenance, self.before_source_id) == (
                self.amount_pence, Provenance.PUBLISHED, self.source_id):
            return "unchanged"
        return "changed"

    @property
    def difference_pence(self) -> int:
        return self.amount_pence - (self.before_pence or 0)


@dataclass
class ImportPreview:
    filename: str
    changes: list[ImportChange] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @property
    def to_write(self) -> list[ImportChange]:
        return [c for c in self.changes if c.kind != "unchanged"]

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    @property
    def new_count(self) -> int:
        return self.count("new")

    @property
    def changed_count(self) -> int:
        return self.count("changed")

    @property
    def unchanged_count(self) -> int:
        return self.count("unchanged")

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    def to_session(self) -> dict:
        return {
            "token": self.token,
            "filename": self.filename,
            "created_at": timezone.now().isoformat(),
            "changes": [[getattr(c, name) for name in ImportChange.KEPT] for c in self.changes],
        }

    @classmethod
    def from_session(cls, data: dict) -> "ImportPreview":
        changes = [ImportChange(**dict(zip(ImportChange.KEPT, values, strict=True)))
                   for values in data["changes"]]
        return cls(filename=data["filename"], changes=changes, token=data["token"])


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    recomputes: int


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
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise ImportFileError("The selected file could not be read as an XLSX spreadsheet: save "
                              "it from Excel as .xlsx, or as CSV") from error
    if unpacked > MAX_UNPACKED_BYTES:
        # A small file that unpacks to a huge one: refuse before reading any of it.
        raise ImportFileError("The selected spreadsheet is too large to import: save it as CSV, "
                              "or split it")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ImportFileError("The selected file could not be read as an XLSX spreadsheet: save "
                              "it from Excel as .xlsx, or as CSV") from error
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for n, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((n, list(row)))
            if n > MAX_ROWS + 50:
                break
        return rows
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
        raise ValueError(f"Year ‘{text}’ must be a financial year written like 2002/03")
    start, end = int(match.group(1)), match.group(2)
    if int(end) != (start + 1) % (100 if len(end) == 2 else 10_000):
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
            raise ValueError(f"There is no financial year {start}/{(start + 1) % 100:02d} in the "
                             "portal")
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
    return preview


def _existing(keys: set[tuple[int, int, int]], *, lock: bool = False) -> dict:
    if not keys:
        return {}
    queryset = Allocation.objects.filter(
        partnership_id__in={k[0] for k in keys}, fund_id__in={k[1] for k in keys},
        year_id__in={k[2] for k in keys},
    )
    # PostgreSQL cannot lock the nullable side of an outer join: no source when locking.
    queryset = queryset.select_for_update().order_by("pk") if lock else queryset.select_related(
        "source")
    found = {}
    for allocation in queryset:
        key = (allocation.partnership_id, allocation.fund_id, allocation.year_id)
        if key in keys:
            found[key] = allocation
    return found


def _attach_current(changes: list[ImportChange]) -> None:
    current = _existing({c.key for c in changes})
    for change in changes:
        allocation = current.get(change.key)
        if allocation is not None:
            change.allocation_id = allocation.pk
            change.before_pence = allocation.amount_pence
            change.before_provenance = allocation.provenance
            change.before_source_id = allocation.source_id
            change.before_source_key = allocation.source.key if allocation.source else ""


# --- Writing -----------------------------------------------------------------------------------


@transaction.atomic
def allocations_import(*, preview: ImportPreview, by) -> ImportResult:
    """Write every new or changed figure of a checked file as published, with its source; all
    rows or none. Each allocation written owes its partnership a funding recompute."""
    if not user_has_role(by, Role.NRU_ADMIN):
        raise ApplicationError("Only an NRU administrator can import allocations.")
    if preview.errors:
        raise ApplicationError(
            f"The file has {len(preview.errors)} problem{'s' if len(preview.errors) != 1 else ''}: "
            "nothing was imported. Correct the rows and upload the file again."
        )
    changes = preview.to_write
    unchanged = len(preview.changes) - len(changes)
    if not changes:
        return ImportResult(created=0, updated=0, unchanged=unchanged, recomputes=0)

    current = _existing({c.key for c in changes}, lock=True)
    for change in changes:
        allocation = current.get(change.key)
        as_previewed = (
            (allocation is None and change.allocation_id is None)
            or (allocation is not None and allocation.pk == change.allocation_id
                and (allocation.amount_pence, allocation.provenance, allocation.source_id)
                == (change.before_pence, change.before_provenance, change.before_source_id))
        )
        if not as_previewed:
            raise ApplicationError(
                "Some of these allocations changed after you previewed the file, so nothing was "
                "imported. Upload the file again to see the changes against today’s figures."
            )

    now = timezone.now()
    note = f"Imported from {preview.filename} by {by.email} on {timezone.localdate(now):%-d %B %Y}"
    note = note[:300]
    updated, created = [], []
    for change in changes:
        allocation = current.get(change.key)
        if allocation is None:
            created.append(Allocation(
                partnership_id=change.partnership_id, fund_id=change.fund_id, year_id=change.year_id,
                amount_pence=change.amount_pence, provenance=Provenance.PUBLISHED,
                source_id=change.source_id, note=note, imported_at=now,
            ))
        else:
            allocation.amount_pence = change.amount_pence
            allocation.provenance = Provenance.PUBLISHED
            allocation.source_id = change.source_id
            allocation.note = note
            allocation.imported_at = allocation.updated_at = now
            updated.append(allocation)
    Allocation.objects.bulk_update(
        updated, ["amount_pence", "provenance", "source", "note", "imported_at", "updated_at"],
        batch_size=500)
    created = Allocation.objects.bulk_create(created, batch_size=500)

    partnerships = Partnership.objects.in_bulk({a.partnership_id for a in [*updated, *created]})
    written = sorted([*updated, *created], key=lambda a: a.pk)
    for allocation in written:
        recompute_request(partnership=partnerships[allocation.partnership_id],
                          cause=RecomputeRequest.Cause.ALLOCATION_CHANGE, cause_id=allocation.pk)
    logger.info("allocation import %s by user %s: %s created, %s updated", preview.filename,
                by.pk, len(created), len(updated))
    return ImportResult(created=len(created), updated=len(updated), unchanged=unchanged,
                        recomputes=len(written))

