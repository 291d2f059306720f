"""Allocation import, the rows: what a checked file holds between the preview and the write.

The import runs in two steps: `reporting.import_file.allocations_preview` reads and checks a
CSV or XLSX of figures and writes nothing; once the person has seen the preview and confirmed,
`reporting.import_write.allocations_import` writes all rows or none.

Between the preview and the confirmation the validated rows are kept in the user's session
(database-backed), as compact ids and pence rather than the file itself: nothing to clean up, no
temporary file another process could swap, only the person who previewed can confirm, and it
expires with the session. Each kept row also remembers the allocation as it was at preview time;
confirming refuses (and writes nothing) if any of them changed since, so what is written is
exactly what was shown.
"""

import secrets
from dataclasses import dataclass, field

from core import clock
from core.errors import ApplicationError
from core.models import Provenance
from funding.models import Allocation

ALLOWED_EXTENSIONS = ("csv", "xlsx")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
SESSION_KEY = "funding.allocation_import"

COLUMN_LABELS = {
    "authority": "Authority", "fund": "Fund", "year": "Year", "amount": "Amount", "source": "Source",
}


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
    # For the preview page only: how each fund-year's illustrative figures would be re-shared
    # (reporting/import_reshare.py `Reshare`); not kept in the session.
    reshares: list = field(default_factory=list)

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
            "created_at": clock.now().isoformat(),
            "changes": [[getattr(c, name) for name in ImportChange.KEPT] for c in self.changes],
        }

    @classmethod
    def from_session(cls, data: dict) -> "ImportPreview":
        changes = [ImportChange(**dict(zip(ImportChange.KEPT, values, strict=True)))
                   for values in data["changes"]]
        return cls(filename=data["filename"], changes=changes, token=data["token"])



def current_allocations(keys: set[tuple[int, int, int]], *, lock: bool = False) -> dict:
    """The allocations the rows would replace, by (partnership, fund, year); locked for the
    write when `lock`."""
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
