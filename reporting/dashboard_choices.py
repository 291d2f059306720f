"""Which funds and years the dashboard, its exports and the API offer: only the combinations
that have something to show (a partnership's allocation or a regional budget), never an empty
fund-year shown as £0 "released in full". And, for a fund-year published only by region (the
Community Empowerment Fund), its regional budgets.

Kept apart from `dashboard.py` (the figures): this module only decides the choices.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Subquery

from funding.models import Allocation, FinancialYear, Fund, PublishedTotal, RegionalBudget

from . import dashboard
from .figures_cache import figures_cached


@dataclass(frozen=True)
class FundYearChoices:
    """The funds with figures, and for each the years with figures, in the models' order."""

    funds: list[Fund]
    years_by_fund: dict[int, list[FinancialYear]]
    budgets_only: frozenset[tuple[int, int]]  # (fund, year) with budgets and no allocations
    totals: dict[tuple[int, int], int]  # (fund, year) -> its published national total, pence

    def years_of(self, fund: Fund | None) -> list[FinancialYear]:
        return self.years_by_fund.get(fund.pk, []) if fund is not None else []

    def fund(self, code: str) -> Fund | None:
        return next((f for f in self.funds if f.code == code), None)

    def default_year(self, fund: Fund | None) -> FinancialYear | None:
        """The dashboard's default year if the fund has it, else its first year with figures."""
        years = self.years_of(fund)
        return next((y for y in years if y.label == dashboard.DEFAULT_YEAR),
                    years[0] if years else None)


def fund_year_choices() -> FundYearChoices:
    """Every (fund, year) with at least one allocation or one regional budget, cached with the
    figures (budgets change only with the reference data, loaded with the allocations)."""
    return figures_cached("fund-year-choices", (), _fund_year_choices)


def _fund_year_choices() -> FundYearChoices:
    """Two queries, as many as reading the funds and the years: the years come with, for each
    fund, whether it has allocations and whether it has budgets in that year."""
    funds = list(Fund.objects.all())
    flags = {}
    for fund in funds:
        flags[f"allocations_{fund.pk}"] = Exists(
            Allocation.objects.filter(fund=fund, year=OuterRef("pk")))
        flags[f"budgets_{fund.pk}"] = Exists(
            RegionalBudget.objects.filter(fund=fund, year=OuterRef("pk")))
        flags[f"total_{fund.pk}"] = Subquery(
            PublishedTotal.objects.filter(fund=fund, year=OuterRef("pk")).values("amount_pence")[:1])
    years = list(FinancialYear.objects.annotate(**flags)) if funds else []
    years_by_fund, budgets_only, totals = {}, set(), {}
    for fund in funds:
        years_by_fund[fund.pk] = []
        for year in years:
            if getattr(year, f"total_{fund.pk}") is not None:
                totals[fund.pk, year.pk] = getattr(year, f"total_{fund.pk}")
            allocated = getattr(year, f"allocations_{fund.pk}")
            budgeted = getattr(year, f"budgets_{fund.pk}")
            if allocated or budgeted:
                years_by_fund[fund.pk].append(year)
            if budgeted and not allocated:
                budgets_only.add((fund.pk, year.pk))
    return FundYearChoices(funds=[f for f in funds if years_by_fund[f.pk]],
                           years_by_fund=years_by_fund, budgets_only=frozenset(budgets_only),
                           totals=totals)


@dataclass(frozen=True)
class Chosen:
    """The fund and year asked for (or the defaults), and the choices to offer beside them."""

    fund: Fund | None
    year: FinancialYear | None
    funds: list[Fund]
    years: list[FinancialYear]  # the chosen fund's years with figures
    budgets_only: bool = False  # the chosen fund-year has regional budgets and no allocations
    published_total_pence: int | None = None  # the chosen fund-year's published national total


def chosen(fund_code: str, year_label: str) -> Chosen:
    """The fund asked for if it has figures, else the default fund, else the first; the year
    asked for if that fund has figures for it, else its default year. What was asked for and
    not offered is for the filter form to report."""
    choices = fund_year_choices()
    fund = (choices.fund(fund_code) or choices.fund(dashboard.DEFAULT_FUND)
            or (choices.funds[0] if choices.funds else None))
    years = choices.years_of(fund)
    year = next((y for y in years if y.label == year_label), None) or choices.default_year(fund)
    key = (fund.pk, year.pk) if fund and year else None
    return Chosen(fund=fund, year=year, funds=choices.funds, years=years,
                  budgets_only=key in choices.budgets_only,
                  published_total_pence=choices.totals.get(key) if key else None)


# --- A fund-year published by region ------------------------------------------------------------


@dataclass(frozen=True)
class RegionalBudgets:
    """A fund-year's budgets by Government Office region, for a fund-year with no partnership
    allocations (the Community Empowerment Fund is published this way)."""

    rows: list[RegionalBudget]
    total_pence: int


def regional_budgets(*, fund: Fund, year: FinancialYear) -> RegionalBudgets:
    """The fund-year's budgets by region (shown when it has no partnership allocations,
    `Chosen.budgets_only`)."""
    rows = list(RegionalBudget.objects.filter(fund=fund, year=year)
                .select_related("region", "source").order_by("region__name"))
    return RegionalBudgets(rows=rows, total_pence=sum(row.amount_pence for row in rows))
