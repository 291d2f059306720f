"""Reference data: the nine Government Office regions, the 88 NRF areas and their partnerships,
the published sources, the funds NRF and CEF, the financial years 2001/02 to 2004/05, every NRF
allocation and the regional CEF budgets.

The CSV files live in `partnerships/fixtures/reference/` (copied from the project's shared
reference data; nothing outside the project is read at run time). `reference_load()` reads and
validates every file first and writes only if all of it is good, in one transaction; a second
run with the same files changes nothing (rows are matched on natural keys and saved only when a
value differs, so even `updated_at` stays put). An NRF allocation that an NRU import has set
(`Allocation.imported_at`) is newer than these files and is kept, counted as "kept as imported".

Which figure each area gets for each NRF year (the file holds whole pounds; we store pence)
-----------------------------------------------------------------------------------------
1. **published**: `nrf_<year>_published`, with the source key that `allocation_sources` names
   for that year (for example HC2001 for 2001/02 and 2002/03, HL2003 for the exact 2003/04
   figure). Where a published figure and a `*_derived` one both exist, the published one wins.
2. **derived (from the file)**: `nrf_2001_02_derived` / `nrf_2002_03_derived`, which the file
   computed as 50% / 75% of the exact 2003/04 figure (`nrf_2003_04_basis`); the source is that
   2003/04 figure's source.
3. **derived (by this loader)**: an area with a published figure for some year but nothing for
   another (the ten Northern Echo areas give 2003/04 only) gets the missing years by the
   2 : 3 : 4 rule from its latest published year, rounded half up to the penny, with that
   year's source. These areas therefore are not illustrative: they have a figure.
4. **illustrative**: only areas with no figure at all (37 in the shipped file, Walsall among
   them). For each year, remainder = national total − the published and derived figures of all
   other areas; the illustrative areas share it equally, apportioned in whole pence by largest
   remainder (the shares are equal, so the leftover pennies go one each to the first areas in
   name order). The result is deterministic and each year's national total is exact:
   £200,000,000 / £300,000,000 / £400,000,000.

   This is the same as "an equal 2002/03 share, with 2001/02 = 2/3 and 2003/04 = 4/3 of it,
   residue fixed by largest remainder" whenever the three remainders are in the ratio 2 : 3 : 4.
   With the shipped file they nearly are: the 2001/02 remainder is exactly 2/3 of 2002/03's,
   but the published 2003/04 figures (exact to the pound, HL2003) add up to £1,318 more than
   4/3 of the earlier published years (rounded to £1,000, HC2001) imply. The exact national
   total wins, so each illustrative area's 2003/04 figure is about £35.62 (0.0007%) below
   4/3 of its 2002/03 figure; its 2001/02 figure is exactly 2/3 of 2002/03.

Other choices
-------------
- Slugs are `django.utils.text.slugify(name)`: lower case, spaces to hyphens, punctuation
  dropped (`kingston-upon-hull`, `brighton-hove`, `yorkshire-and-the-humber`).
- A local authority's provenance follows its membership evidence: A (named in an NRF table)
  published, B (indirect evidence) derived, C (not yet confirmed) illustrative.
- Financial years run to 2004/05 because the CEF regional budgets cover 2003/04 and 2004/05.
  Partnerships get no CEF allocations (only Pendle has a CEF figure in the sources; the
  regional budgets are what is published).
- A new allocation owes no recompute (there is no ledger to correct yet); an existing
  allocation whose amount changes records one for its partnership in the same transaction.

This module writes into the partnerships, core and funding apps alike: it is a loader that
sits above the apps, like a management command, not part of the partnerships service layer.
"""

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

from django.db import models, transaction
from django.utils.text import slugify

from core.errors import ApplicationError
from core.models import Provenance, Source
from funding.models import Allocation, FinancialYear, Fund, RecomputeRequest, RegionalBudget
from funding.outbox import recompute_request

from .models import LocalAuthority, MembershipEvidence, Partnership, Region

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures" / "reference"

AREAS_FILE = "nrf_areas_2001_04.csv"
CEF_FILE = "cef_regional_budgets_2003_05.csv"
SOURCES_FILE = "sources.csv"

REGIONS = (
    "East Midlands",
    "East of England",
    "London",
    "North East",
    "North West",
    "South East",
    "South West",
    "West Midlands",
    "Yorkshire and The Humber",
)

FUNDS = {"NRF": "Neighbourhood Renewal Fund", "CEF": "Community Empowerment Fund"}
FINANCIAL_YEARS = (2001, 2002, 2003, 2004)
NRF_YEARS = (2001, 2002, 2003)
NRF_RATIO = {2001: 2, 2002: 3, 2003: 4}
NRF_NATIONAL_TOTAL_PENCE = {2001: 200_000_000_00, 2002: 300_000_000_00, 2003: 400_000_000_00}
CEF_YEARS = (2003, 2004)

EVIDENCE_PROVENANCE = {
    MembershipEvidence.NAMED: Provenance.PUBLISHED,
    MembershipEvidence.INDIRECT: Provenance.DERIVED,
    MembershipEvidence.UNCONFIRMED: Provenance.ILLUSTRATIVE,
}

ILLUSTRATIVE_NOTE = (
    "Illustrative: an equal share of the national total not covered by published or derived "
    "figures. Replace with the real figure when it is imported."
)


def year_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def _column(start_year: int, kind: str) -> str:
    return f"nrf_{start_year}_{(start_year + 1) % 100:02d}_{kind}"


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


# --- the parsed files -----------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    pence: int
    provenance: str
    source_key: str | None
    note: str


@dataclass
class Area:
    row: int
    name: str
    slug: str
    gss_code: str | None
    region: str
    evidence: str
    membership_sources: tuple[str, ...]
    published: dict[int, int] = field(default_factory=dict)
    published_source: dict[int, tuple[str, str]] = field(default_factory=dict)
    derived: dict[int, int] = field(default_factory=dict)
    derivation_note: str = ""

    @property
    def partnership_name(self) -> str:
        return f"{self.name} LSP"

    @property
    def accountable_body(self) -> str:
        return f"{self.name} Council"


@dataclass(frozen=True)
class Budget:
    row: int
    region: str
    pence: int
    source_key: str


@dataclass
class ReferenceData:
    sources: dict[str, str]
    areas: list[Area]
    budgets: list[Budget]
    figures: dict[tuple[str, int], Figure]
    floor_targets: list = field(default_factory=list)


def _read_sources(directory: Path, problems: Problems) -> dict[str, str]:
    sources: dict[str, str] = {}
    for number, row in csv_rows(directory, SOURCES_FILE, ("key", "citation"), problems):
        if not row["key"]:
            problems.add(SOURCES_FILE, number, "key", "is empty")
        elif row["key"] in sources:
            problems.add(SOURCES_FILE, number, "key", f"'{row['key']}' appears twice")
        elif not row["citation"]:
            problems.add(SOURCES_FILE, number, "citation", "is empty")
        else:
            sources[row["key"]] = row["citation"]
    return sources


AREA_COLUMNS = (
    "authority", "gss_code_lad18", "go_region", "membership_evidence", "membership_source",
    *(_column(y, "published") for y in NRF_YEARS),
    _column(2001, "derived"), _column(2002, "derived"), _column(2003, "basis"),
    "derivation_note", "allocation_sources",
)
GSS_CODE = re.compile(r"^[ENSW]\d{8}$")
SOURCE_IN_TEXT = re.compile(r"\bfrom ([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)")


def _allocation_sources(text: str) -> dict[int, tuple[str, str]]:
    """Source key (and the phrase naming it) for each year, from text such as
    "2001-02..2003-04 from HC2001 (...) ; 2003-04 exact (to GBP 1) from HL2003".
    A phrase that starts with 2003-04 covers that year only; any other covers every year.
    Later phrases override earlier ones."""
    found: dict[int, tuple[str, str]] = {}
    for phrase in (p.strip() for p in text.split(";")):
        match = SOURCE_IN_TEXT.search(phrase)
        if not match:
            continue
        years = (2003,) if phrase.startswith("2003-04") else NRF_YEARS
        for year in years:
            found[year] = (match.group(1), phrase)
    return found


def _read_areas(directory: Path, sources: dict[str, str], problems: Problems) -> list[Area]:
    f = AREAS_FILE
    areas: list[Area] = []
    seen: dict[str, Counter] = {"name": Counter(), "slug": Counter(), "gss": Counter()}
    for number, row in csv_rows(directory, f, AREA_COLUMNS, problems):
        before = len(problems)
        name = row["authority"]
        if not name:
            problems.add(f, number, "authority", "is empty")
        slug = slugify(name)
        for kind, value in (("name", name), ("slug", slug), ("gss", row["gss_code_lad18"])):
            if value and seen[kind][value]:
                column = "gss_code_lad18" if kind == "gss" else "authority"
                problems.add(f, number, column, f"'{value}' appears twice")
            seen[kind][value] += 1
        gss = row["gss_code_lad18"] or None
        if gss and not GSS_CODE.match(gss):
            problems.add(f, number, "gss_code_lad18", f"'{gss}' is not a GSS code like E08000030")
        if row["go_region"] not in REGIONS:
            problems.add(
                f, number, "go_region",
                f"'{row['go_region']}' is not a Government Office region "
                f"(expected one of: {', '.join(REGIONS)})",
            )
        evidence = row["membership_evidence"]
        if evidence not in MembershipEvidence.values:
            problems.add(f, number, "membership_evidence", f"'{evidence}' is not A, B or C")
        tokens = [t.strip() for t in row["membership_source"].split(";") if t.strip()]
        unknown = [t for t in tokens if t not in sources]
        if unknown and evidence != MembershipEvidence.UNCONFIRMED:
            problems.add(
                f, number, "membership_source",
                f"names {', '.join(repr(t) for t in unknown)}, not a key in {SOURCES_FILE} "
                "(only evidence C may be unsourced)",
            )

        def amount(column: str, number=number, row=row) -> int | None:
            return pounds_as_pence(row[column], file=f, row=number, field_name=column,
                                   problems=problems)

        published = {y: p for y in NRF_YEARS if (p := amount(_column(y, "published"))) is not None}
        derived = {y: p for y in (2001, 2002) if (p := amount(_column(y, "derived"))) is not None}
        basis = amount(_column(2003, "basis"))
        year_sources = _allocation_sources(row["allocation_sources"])
        for year in published:
            if year not in year_sources:
                problems.add(f, number, "allocation_sources",
                             f"names no source for the published {year_label(year)} figure")
            elif year_sources[year][0] not in sources:
                problems.add(f, number, "allocation_sources",
                             f"'{year_sources[year][0]}' is not a key in {SOURCES_FILE}")
        if derived:
            if basis is None or basis != published.get(2003):
                problems.add(f, number, _column(2003, "basis"),
                             "derived figures need a basis equal to the published 2003/04 figure")
            else:
                for year, pence in derived.items():
                    expected = Fraction(basis * NRF_RATIO[year], NRF_RATIO[2003])
                    if abs(pence - expected) > 100:
                        problems.add(f, number, _column(year, "derived"),
                                      "does not follow the 2 : 3 : 4 rule from the 2003/04 basis")
        if len(problems) == before:
            areas.append(Area(
                row=number, name=name, slug=slug, gss_code=gss, region=row["go_region"],
                evidence=evidence, membership_sources=tuple(t for t in tokens if t in sources),
                published=published,
                published_source={y: year_sources[y] for y in published},
                derived=derived, derivation_note=row["derivation_note"],
            ))
    return areas


def _read_budgets(directory: Path, sources: dict[str, str], problems: Problems) -> list[Budget]:
    f = CEF_FILE
    amount_column = "cef_gbp_per_year_2003_04_and_2004_05"
    budgets: list[Budget] = []
    seen: set[str] = set()
    for number, row in csv_rows(directory, f, ("go_region", amount_column, "source"), problems):
        before = len(problems)
        region = row["go_region"]
        if region not in REGIONS:
            problems.add(f, number, "go_region",
                         f"'{region}' is not a Government Office region "
                         f"(expected one of: {', '.join(REGIONS)})")
        elif region in seen:
            problems.add(f, number, "go_region", f"'{region}' appears twice")
        seen.add(region)
        pence = pounds_as_pence(row[amount_column], file=f, row=number, field_name=amount_column,
                                problems=problems)
        if pence is None and row[amount_column] == "":
            problems.add(f, number, amount_column, "is empty")
        if row["source"] not in sources:
            problems.add(f, number, "source", f"'{row['source']}' is not a key in {SOURCES_FILE}")
        if len(problems) == before:
            budgets.append(Budget(row=number, region=region, pence=pence, source_key=row["source"]))
    return budgets


# --- the NRF figures ------------------------------------------------------------------------


def apportion(total: int, count: int) -> list[int]:
    """`total` pence in `count` equal shares, whole pence, largest remainder: the first
    `total mod count` shares get the odd pennies."""
    base, extra = divmod(total, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


def _ratio_scaled(pence: int, from_year: int, to_year: int) -> int:
    exact = Decimal(pence * NRF_RATIO[to_year]) / Decimal(NRF_RATIO[from_year])
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def nrf_figures(areas: list[Area], problems: Problems) -> dict[tuple[str, int], Figure]:
    """Every area's figure for every NRF year, by the method in the module docstring."""
    figures: dict[tuple[str, int], Figure] = {}
    illustrative: list[Area] = []
    for area in areas:
        if not area.published and not area.derived:
            illustrative.append(area)
            continue
        anchor = max(area.published) if area.published else None
        for year in NRF_YEARS:
            if year in area.published:
                key, phrase = area.published_source[year]
                figures[area.name, year] = Figure(area.published[year], Provenance.PUBLISHED,
                                                  key, phrase)
            elif year in area.derived:
                key = area.published_source[2003][0]
                figures[area.name, year] = Figure(
                    area.derived[year], Provenance.DERIVED, key,
                    area.derivation_note or "2 : 3 : 4 rule from the 2003/04 figure",
                )
            else:
                key = area.published_source[anchor][0]
                figures[area.name, year] = Figure(
                    _ratio_scaled(area.published[anchor], anchor, year), Provenance.DERIVED, key,
                    f"Derived by the loader: 2 : 3 : 4 rule from the published "
                    f"{year_label(anchor)} figure",
                )
    illustrative.sort(key=lambda a: a.name)
    for year in NRF_YEARS:
        known = sum(f.pence for (_, y), f in figures.items() if y == year)
        remainder = NRF_NATIONAL_TOTAL_PENCE[year] - known
        column = _column(year, "published")
        if remainder < 0:
            problems.add(AREAS_FILE, None, column,
                         f"published and derived {year_label(year)} figures add up to more than "
                         f"the national total of £{NRF_NATIONAL_TOTAL_PENCE[year] // 100:,}")
            continue
        if not illustrative:
            if remainder:
                problems.add(AREAS_FILE, None, column,
                             f"{year_label(year)} figures fall £{remainder / 100:,.2f} short of the "
                             "national total and no area is left without a figure to take it")
            continue
        for area, pence in zip(illustrative, apportion(remainder, len(illustrative)), strict=True):
            figures[area.name, year] = Figure(pence, Provenance.ILLUSTRATIVE, None,
                                              ILLUSTRATIVE_NOTE)
    return figures


def reference_read(*, directory: Path | str = FIXTURES_DIR) -> ReferenceData:
    """Read and validate every file; raise ReferenceDataError listing each problem."""
    directory = Path(directory)
    problems = Problems()
    sources = _read_sources(directory, problems)
    areas = _read_areas(directory, sources, problems)
    budgets = _read_budgets(directory, sources, problems)
    # The national floor targets are the performance app's (it imports this module, hence here).
    from performance.reference import floor_targets_read

    floor_targets = floor_targets_read(directory, sources, problems)
    figures = nrf_figures(areas, problems) if not problems else {}
    if problems:
        raise ReferenceDataError(problems)
    return ReferenceData(sources=sources, areas=areas, budgets=budgets, figures=figures,
                         floor_targets=floor_targets)


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


def _write(data: ReferenceData, summary: LoadSummary) -> None:
    sources = {}
    for key, citation in data.sources.items():
        sources[key], outcome = upsert(Source, {"key": key}, {"citation": citation})
        summary.record("sources", outcome)

    regions = {}
    for name in REGIONS:
        regions[name], outcome = upsert(Region, {"slug": slugify(name)}, {"name": name})
        summary.record("regions", outcome)

    partnerships = {}
    for area in data.areas:
        authority, outcome = upsert(LocalAuthority, {"name": area.name}, {
            "slug": area.slug, "gss_code": area.gss_code, "region_id": regions[area.region].pk,
            "is_nrf_area": True, "membership_evidence": area.evidence,
            "provenance": EVIDENCE_PROVENANCE[area.evidence],
        })
        wanted = {sources[k].pk for k in area.membership_sources}
        if set(authority.membership_sources.values_list("pk", flat=True)) != wanted:
            authority.membership_sources.set(wanted)
            outcome = "changed" if outcome == "unchanged" else outcome
        summary.record("local authorities", outcome)
        partnerships[area.name], outcome = upsert(
            Partnership, {"local_authority_id": authority.pk},
            {"name": area.partnership_name, "slug": area.slug,
             "accountable_body": area.accountable_body},
        )
        summary.record("partnerships", outcome)

    funds = {}
    for code, name in FUNDS.items():
        funds[code], outcome = upsert(Fund, {"code": code}, {"name": name})
        summary.record("funds", outcome)

    years = {}
    for start in FINANCIAL_YEARS:
        years[start], outcome = upsert(FinancialYear, {"start_year": start}, {
            "label": year_label(start), "starts_on": date(start, 4, 1),
            "ends_on": date(start + 1, 3, 31),
        })
        summary.record("financial years", outcome)

    changed_partnerships = set()
    imported = {
        (a.partnership_id, a.year_id): a.provenance
        for a in Allocation.objects.filter(fund=funds["NRF"], imported_at__isnull=False)
    }
    for (area_name, start), figure in sorted(data.figures.items()):
        partnership = partnerships[area_name]
        if (partnership.pk, years[start].pk) in imported:
            # An NRU import set this figure after the reference data: it is newer, keep it.
            summary.record("NRF allocations", "kept")
            summary.provenance[imported[partnership.pk, years[start].pk]] += 1
            continue
        _, outcome = upsert(
            Allocation,
            {"partnership_id": partnership.pk, "fund_id": funds["NRF"].pk,
             "year_id": years[start].pk},
            {"amount_pence": figure.pence, "provenance": figure.provenance,
             "source_id": sources[figure.source_key].pk if figure.source_key else None,
             "note": figure.note[:300]},
        )
        summary.record("NRF allocations", outcome)
        summary.provenance[figure.provenance] += 1
        if outcome == "changed":
            changed_partnerships.add(partnership)

    for budget in data.budgets:
        for start in CEF_YEARS:
            _, outcome = upsert(
                RegionalBudget,
                {"region_id": regions[budget.region].pk, "fund_id": funds["CEF"].pk,
                 "year_id": years[start].pk},
                {"amount_pence": budget.pence, "provenance": Provenance.PUBLISHED,
                 "source_id": sources[budget.source_key].pk},
            )
            summary.record("CEF regional budgets", outcome)

    for partnership in sorted(changed_partnerships, key=lambda p: p.pk):
        recompute_request(partnership=partnership, cause=RecomputeRequest.Cause.ALLOCATION_CHANGE)
    summary.recomputes = len(changed_partnerships)

    from performance.reference import floor_targets_write

    floor_targets_write(data.floor_targets, summary)


def reference_load(*, directory: Path | str = FIXTURES_DIR) -> LoadSummary:
    """Validate every file, then write everything in one transaction (or nothing at all)."""
    data = reference_read(directory=directory)
    summary = LoadSummary(directory=Path(directory))
    with transaction.atomic():
        _write(data, summary)
    return summary
