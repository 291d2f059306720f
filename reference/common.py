"""What every reference loader shares: where the files are, how a CSV file is read and its
problems collected, the all-or-nothing error, the load summary and the idempotent upsert.

The CSV files live in `reference/data/` (copied from the project's shared reference data;
nothing outside the project is read at run time).
"""

import csv
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import models

from core.errors import ApplicationError

DATA_DIR = Path(__file__).resolve().parent / "data"


# --- problems -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    field: str | None
    message: str

    def __str__(self):
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field {self.field}")
        return f"{', '.join(where)}: {self.message}"


class ReferenceDataError(ApplicationError):
    """The files are not fit to load. Nothing was written."""

    MAX_SHOWN = 20

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = [str(p) for p in problems[: self.MAX_SHOWN]]
        if len(problems) > self.MAX_SHOWN:
            lines.append(f"... and {len(problems) - self.MAX_SHOWN} more")
        super().__init__(
            "The reference data was not loaded; nothing was written. "
            "Rows are numbered as in a spreadsheet (the header is row 1).\n" + "\n".join(lines)
        )


class Problems(list):
    def add(self, file: str, row: int | None, field_name: str | None, message: str) -> None:
        problem = Problem(file, row, field_name, message)
        if problem not in self:
            self.append(problem)


# --- reading --------------------------------------------------------------------------------


def csv_rows(
    directory: Path, filename: str, required: tuple[str, ...], problems: Problems
) -> list[tuple[int, dict[str, str]]]:
    """The file's records as (row number, {column: stripped text}), header = row 1.

    Missing columns and rows with the wrong number of fields are recorded as problems and the
    row is left out, so one bad row does not hide the others' problems.
    """
    path = Path(directory) / filename
    if not path.is_file():
        problems.add(filename, None, None, f"file not found in {directory}")
        return []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, strict=True)
        try:
            header = [h.strip() for h in next(reader, [])]
            missing = [name for name in required if name not in header]
            for name in missing:
                problems.add(filename, 1, name, "column is missing from the header")
            if missing:
                return []
            rows = []
            for number, values in enumerate(reader, start=2):
                if not any(v.strip() for v in values):
                    continue
                if len(values) < len(header):
                    problems.add(
                        filename, number, header[len(values)],
                        f"is missing: the row has {len(values)} fields, the header {len(header)}",
                    )
                    continue
                if len(values) > len(header):
                    problems.add(
                        filename, number, header[-1],
                        f"is followed by {len(values) - len(header)} field(s) the header does "
                        f"not have: the row has {len(values)} fields, the header {len(header)}",
                    )
                    continue
                rows.append((number, {h: v.strip() for h, v in zip(header, values, strict=True)}))
        except csv.Error as exc:
            problems.add(filename, reader.line_num, None, f"is not valid CSV ({exc})")
            return []
    return rows


def pounds_as_pence(
    text: str, *, file: str, row: int, field_name: str, problems: Problems
) -> int | None:
    """Whole pounds, zero or more, as pence; None for an empty cell."""
    if text == "":
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        problems.add(file, row, field_name, f"'{text}' is not a number")
        return None
    if not amount.is_finite():
        problems.add(file, row, field_name, f"'{text}' is not a number")
    elif amount < 0:
        problems.add(file, row, field_name, f"'{text}' is negative; amounts cannot be below zero")
    elif amount != amount.to_integral_value():
        problems.add(file, row, field_name, f"'{text}' is not a whole number of pounds")
    else:
        return int(amount) * 100
    return None


# --- writing --------------------------------------------------------------------------------


@dataclass
class LoadSummary:
    directory: Path
    counts: dict[str, Counter] = field(default_factory=dict)
    provenance: Counter = field(default_factory=Counter)
    recomputes: int = 0

    def record(self, label: str, outcome: str) -> None:
        self.counts.setdefault(label, Counter())[outcome] += 1

    def lines(self) -> list[str]:
        out = [f"Reference data from {self.directory}:"]
        for label, c in self.counts.items():
            kept = f", {c['kept']} kept as imported" if c["kept"] else ""
            out.append(f"  {label}: {sum(c.values())} "
                       f"({c['created']} created, {c['changed']} changed, "
                       f"{c['unchanged']} unchanged{kept})")
        out.append("  NRF allocations by provenance: "
                   + ", ".join(f"{k} {v}" for k, v in sorted(self.provenance.items())))
        if self.recomputes:
            out.append(f"  Recomputes requested for {self.recomputes} partnership(s) whose "
                       "allocations changed")
        return out


def upsert(model: type[models.Model], lookup: dict, values: dict) -> tuple[models.Model, str]:
    """Create the row, or update it only where a value differs: 'created', 'changed' or
    'unchanged'. Foreign keys are given by attname (`region_id`) so comparing costs no query."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values), "created"
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if not changed:
        return obj, "unchanged"
    for name in changed:
        setattr(obj, name, values[name])
    obj.save()
    return obj, "changed"
