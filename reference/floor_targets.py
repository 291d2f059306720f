"""The national floor targets, read from `floor_targets.csv` in the reference data folder and
written by `reference.loader.reference_load` (load_reference_data) with the rest of the
reference data: validated first, all or nothing, and idempotent.

A floor target is matched on its wording. A row whose wording changes in the file is a new
floor target; the old one stays (targets may use it) until an NRU administrator retires it.
The loader never touches "offered to partnerships", so a retirement survives a reload.
"""

from dataclasses import dataclass
from pathlib import Path

from core.models import Source
from performance.models import FloorTarget, Theme

from .common import LoadSummary, Problems, csv_rows, upsert
from .sources import SOURCES_FILE

FLOOR_TARGETS_FILE = "floor_targets.csv"
COLUMNS = ("theme", "department", "target", "spending_review", "wording_status", "source")


@dataclass(frozen=True)
class FloorTargetRow:
    row: int
    theme: str
    department: str
    wording: str
    spending_review: str
    wording_status: str
    source_key: str | None


def floor_targets_read(directory: Path, sources: dict[str, str],
                       problems: Problems) -> list[FloorTargetRow]:
    f = FLOOR_TARGETS_FILE
    rows: list[FloorTargetRow] = []
    seen: set[str] = set()
    for number, row in csv_rows(directory, f, COLUMNS, problems):
        before = len(problems)
        if row["theme"] not in Theme.values:
            problems.add(f, number, "theme", f"'{row['theme']}' is not a theme "
                                             f"(expected one of: {', '.join(Theme.values)})")
        for column, limit in (("target", 500), ("department", 100), ("spending_review", 20),
                              ("wording_status", 200)):
            if column != "wording_status" and not row[column]:
                problems.add(f, number, column, "is empty")
            elif len(row[column]) > limit:
                problems.add(f, number, column, f"is longer than {limit} characters")
        if row["target"] in seen:
            problems.add(f, number, "target", "the same wording appears twice")
        seen.add(row["target"])
        if row["source"] and row["source"] not in sources:
            problems.add(f, number, "source", f"'{row['source']}' is not a key in {SOURCES_FILE}")
        if len(problems) == before:
            rows.append(FloorTargetRow(
                row=number, theme=row["theme"], department=row["department"], wording=row["target"],
                spending_review=row["spending_review"], wording_status=row["wording_status"],
                source_key=row["source"] or None,
            ))
    return rows


def floor_targets_write(rows: list[FloorTargetRow], summary: LoadSummary) -> None:
    """Create or update each floor target (matched on its wording); the caller's transaction."""
    source_ids = dict(Source.objects.filter(key__in={r.source_key for r in rows if r.source_key})
                      .values_list("key", "pk"))
    for row in rows:
        _, outcome = upsert(FloorTarget, {"wording": row.wording}, {
            "theme": row.theme, "department": row.department,
            "spending_review": row.spending_review, "wording_status": row.wording_status,
            "source_id": source_ids.get(row.source_key),
        })
        summary.record("floor targets", outcome)
