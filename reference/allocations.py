"""Every NRF allocation (from the NRF areas file) and the regional CEF budgets
(`cef_regional_budgets_2003_05.csv`).

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
- Partnerships get no CEF allocations (only Pendle has a CEF figure in the sources; the
  regional budgets are what is published).
- An NRF allocation that an NRU import has set (`Allocation.imported_at`) is newer than these
  files and is kept, counted as "kept as imported".
- A new allocation owes no recompute (there is no ledger to correct yet); an existing
  allocation whose amount changes records one for its partnership in the same transaction.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from core.models import Provenance, Source
from core.money import apportion
from funding.models import Allocation, FinancialYear, Fund, RecomputeRequest, RegionalBudget
from funding.outbox import recompute_request
from partnerships.models import Partnership, Region

from .areas import AREAS_FILE, REGIONS, Area, region_problem
from .common import LoadSummary, Problems, csv_rows, pounds_as_pence, upsert
from .sources import SOURCES_FILE
from .years import CEF_YEARS, NRF_NATIONAL_TOTAL_PENCE, NRF_RATIO, NRF_YEARS, nrf_column, year_label

CEF_FILE = "cef_regional_budgets_2003_05.csv"

ILLUSTRATIVE_NOTE = (
    "Illustrative: an equal share of the national total not covered by published or derived "
    "figures. Replace with the real figure when it is imported."
)


@dataclass(frozen=True)
class Figure:
    pence: int
    provenance: str
    source_key: str | None
    note: str


@dataclass(frozen=True)
class Budget:
    row: int
    region: str
    pence: int
    source_key: str


def budgets_read(directory: Path, sources: dict[str, str], problems: Problems) -> list[Budget]:
    f = CEF_FILE
    amount_column = "cef_gbp_per_year_2003_04_and_2004_05"
    budgets: list[Budget] = []
    seen: set[str] = set()
    for number, row in csv_rows(directory, f, ("go_region", amount_column, "source"), problems):
        before = len(problems)
        region = row["go_region"]
        if region not in REGIONS:
            problems.add(f, number, "go_region", region_problem(region))
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
        column = nrf_column(year, "published")
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


def _illustrative_around_imports(
    figures: dict[tuple[str, int], Figure], imported: dict[tuple[int, int], int], *,
    partnerships: dict[str, Partnership], years: dict[int, FinancialYear],
) -> dict[tuple[str, int], Figure]:
    """The figures with each year's illustrative ones re-shared around the figures an NRU
    import set (which are kept), so the national total still holds: the same equal shares, in
    name order, that the import itself re-shares to (reporting/import_reshare.py). Where the
    imports leave no room, the shipped illustrative figures are written as they are."""
    if not imported:
        return figures
    figures = dict(figures)
    for year in NRF_YEARS:
        kept = {name for name, p in partnerships.items() if (p.pk, years[year].pk) in imported}
        if not kept:
            continue
        illustrative = sorted(name for (name, y), f in figures.items()
                              if y == year and name not in kept
                              and f.provenance == Provenance.ILLUSTRATIVE)
        real = sum(f.pence for (name, y), f in figures.items() if y == year and name not in kept
                   and f.provenance != Provenance.ILLUSTRATIVE)
        remainder = (NRF_NATIONAL_TOTAL_PENCE[year] - real
                     - sum(imported[partnerships[name].pk, years[year].pk] for name in kept))
        if not illustrative or remainder < 0:
            continue
        for name, pence in zip(illustrative, apportion(remainder, len(illustrative)), strict=True):
            figures[name, year] = Figure(pence, Provenance.ILLUSTRATIVE, None, ILLUSTRATIVE_NOTE)
    return figures


# --- writing --------------------------------------------------------------------------------


def allocations_write(
    figures: dict[tuple[str, int], Figure], *, partnerships: dict[str, Partnership],
    funds: dict[str, Fund], years: dict[int, FinancialYear], sources: dict[str, Source],
    summary: LoadSummary,
) -> set[Partnership]:
    """Every NRF allocation; returns the partnerships whose existing allocations changed."""
    changed_partnerships = set()
    imported_rows = Allocation.objects.filter(fund=funds["NRF"], imported_at__isnull=False)
    imported = {(a.partnership_id, a.year_id): a.provenance for a in imported_rows}
    figures = _illustrative_around_imports(
        figures, {(a.partnership_id, a.year_id): a.amount_pence for a in imported_rows},
        partnerships=partnerships, years=years)
    for (area_name, start), figure in sorted(figures.items()):
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
    return changed_partnerships


def budgets_write(
    budgets: list[Budget], *, regions: dict[str, Region], funds: dict[str, Fund],
    years: dict[int, FinancialYear], sources: dict[str, Source], summary: LoadSummary,
) -> None:
    for budget in budgets:
        for start in CEF_YEARS:
            _, outcome = upsert(
                RegionalBudget,
                {"region_id": regions[budget.region].pk, "fund_id": funds["CEF"].pk,
                 "year_id": years[start].pk},
                {"amount_pence": budget.pence, "provenance": Provenance.PUBLISHED,
                 "source_id": sources[budget.source_key].pk},
            )
            summary.record("CEF regional budgets", outcome)


def recomputes_request(changed_partnerships: set[Partnership], summary: LoadSummary) -> None:
    """Owe a recompute to each partnership whose allocations changed (the caller's transaction)."""
    for partnership in sorted(changed_partnerships, key=lambda p: p.pk):
        recompute_request(partnership=partnership, cause=RecomputeRequest.Cause.ALLOCATION_CHANGE)
    summary.recomputes = len(changed_partnerships)
