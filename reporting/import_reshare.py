"""Allocation import, the illustrative figures: when real figures arrive for a fund and year,
its remaining illustrative figures are re-shared so that the national total still equals the
published total (`funding.PublishedTotal`), by the method that made them: equal shares of what
the real figures leave, in whole pence, the odd pennies to the first authorities by name
(docs/adr/0006-reference-data-and-illustrative-figures.md, core.money.apportion). Deterministic:
the same figures give the same shares.

When that is impossible (the real figures add up to more than the total, or no illustrative
figure is left to take up the difference), nothing is re-shared; the dashboard states the
difference and why (`national_total_note`).
"""

from dataclasses import dataclass

from core.models import Provenance
from core.money import apportion
from funding.models import Allocation, FinancialYear, Fund, PublishedTotal

from .import_rows import ImportChange


@dataclass(frozen=True)
class Reshare:
    """What re-sharing does to one fund-year's illustrative figures."""

    fund_code: str
    year_label: str
    total_pence: int
    illustrative: int  # how many illustrative figures are left to share
    new_pence: dict[int, int]  # allocation id -> its new amount (only those that change)
    shortfall_pence: int  # what the illustrative figures must make up (negative: impossible)

    @property
    def possible(self) -> bool:
        return self.illustrative > 0 and self.shortfall_pence >= 0

    @property
    def excess_pence(self) -> int:
        return max(0, -self.shortfall_pence)

    @property
    def smallest_share(self) -> int:
        return self.shortfall_pence // self.illustrative if self.illustrative else 0


def _plan(fund: Fund, year: FinancialYear, total: int, allocations: list[tuple]) -> Reshare:
    """`allocations`: (authority name, id, provenance, pence) after the import."""
    allocations = sorted(allocations, key=lambda a: (a[0], a[1] or 0))
    illustrative = [a for a in allocations if a[2] == Provenance.ILLUSTRATIVE]
    shortfall = total - sum(a[3] for a in allocations if a[2] != Provenance.ILLUSTRATIVE)
    new_pence = {}
    if illustrative and shortfall >= 0:
        for (_, pk, _, before), pence in zip(illustrative, apportion(shortfall, len(illustrative)),
                                             strict=True):
            if pence != before:
                new_pence[pk] = pence
    return Reshare(fund_code=fund.code, year_label=year.label, total_pence=total,
                   illustrative=len(illustrative), new_pence=new_pence, shortfall_pence=shortfall)


def _totals(fund_years: set[tuple[int, int]]) -> dict[tuple[int, int], PublishedTotal]:
    totals = PublishedTotal.objects.filter(
        fund_id__in={f for f, _ in fund_years}, year_id__in={y for _, y in fund_years},
    ).select_related("fund", "year")
    return {(t.fund_id, t.year_id): t for t in totals if (t.fund_id, t.year_id) in fund_years}


def _rows(fund_id: int, year_id: int, *, lock: bool = False):
    queryset = Allocation.objects.filter(fund_id=fund_id, year_id=year_id)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return queryset.values_list("partnership__local_authority__name", "pk", "provenance",
                                "amount_pence", "partnership_id")


def reshare_preview(changes: list[ImportChange]) -> list[Reshare]:
    """What re-sharing would do if the checked rows were written (reads only)."""
    by_fund_year: dict[tuple[int, int], list[ImportChange]] = {}
    for change in changes:
        by_fund_year.setdefault((change.fund_id, change.year_id), []).append(change)
    plans = []
    for key, total in sorted(_totals(set(by_fund_year)).items()):
        written = {c.partnership_id: c for c in by_fund_year[key]}
        rows = []
        for name, pk, provenance, pence, partnership_id in _rows(*key):
            change = written.pop(partnership_id, None)
            rows.append((name, pk, Provenance.PUBLISHED, change.amount_pence) if change
                        else (name, pk, provenance, pence))
        rows.extend((c.authority, None, Provenance.PUBLISHED, c.amount_pence)
                    for c in written.values())
        plans.append(_plan(total.fund, total.year, total.amount_pence, rows))
    return plans


def reshare_plan(fund_years: set[tuple[int, int]]) -> list[Reshare]:
    """Re-sharing as the allocations stand, locked: for the write, after the rows are written."""
    return [_plan(total.fund, total.year, total.amount_pence,
                  [row[:4] for row in _rows(*key, lock=True)])
            for key, total in sorted(_totals(fund_years).items())]


def national_total_note(*, fund: Fund, year: FinancialYear, total_pence: int | None,
                        anticipated_pence: int, illustrative_pence: int) -> dict:
    """What the dashboard says about the national total and the illustrative figures, true of
    the figures it shows: `kind` is "equal" (with or without illustrative figures), "differs"
    (with the difference and why) or "unknown" (no published total recorded)."""
    if total_pence is None:
        return {"kind": "unknown", "illustrative": illustrative_pence > 0}
    difference = anticipated_pence - total_pence
    if difference == 0:
        return {"kind": "equal", "total_pence": total_pence, "illustrative": illustrative_pence > 0}
    real = anticipated_pence - illustrative_pence
    if real > total_pence:
        why = ("the published and derived figures alone add up to more than the published "
               "total, so no share is left for the illustrative figures")
    elif not illustrative_pence:
        why = ("no illustrative figure is left to make up the difference: the remaining "
               "partnerships' figures are all published or derived")
    else:
        why = "the illustrative figures have not been re-shared since the figures changed"
    return {"kind": "differs", "total_pence": total_pence, "difference_pence": abs(difference),
            "over": difference > 0, "why": why, "illustrative": illustrative_pence > 0}
