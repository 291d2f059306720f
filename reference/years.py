"""The funds (NRF and CEF) and the financial years 2001/02 to 2004/05, the NRF constants the
area and allocation loaders share, and the release-in-full policies of the funds and years no
accreditation cycle governs.

Financial years run to 2004/05 because the CEF regional budgets cover 2003/04 and 2004/05.
"""

from datetime import date
from decimal import Decimal

from funding.models import FinancialYear, Fund, PublishedTotal, ReleasePolicy

from .common import LoadSummary, upsert

FUNDS = {"NRF": "Neighbourhood Renewal Fund", "CEF": "Community Empowerment Fund"}
FINANCIAL_YEARS = (2001, 2002, 2003, 2004)
NRF_YEARS = (2001, 2002, 2003)
NRF_RATIO = {2001: 2, 2002: 3, 2003: 4}
NRF_NATIONAL_TOTAL_PENCE = {2001: 200_000_000_00, 2002: 300_000_000_00, 2003: 400_000_000_00}
CEF_YEARS = (2003, 2004)
# Released in full, by an explicit policy with no governing cycle: a fund and year with no
# policy releases nothing (funding.rules.fraction_for). NRF 2001/02 came before accreditation;
# CEF does not follow it. NRF 2002/03 onwards is governed by its cycle (the demo sets those).
RELEASED_IN_FULL = (("NRF", 2001), *(("CEF", year) for year in CEF_YEARS))


def year_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def nrf_column(start_year: int, kind: str) -> str:
    """The NRF areas file's column for a year: `nrf_2002_03_published`."""
    return f"nrf_{start_year}_{(start_year + 1) % 100:02d}_{kind}"


def funds_write(summary: LoadSummary) -> dict[str, Fund]:
    funds = {}
    for code, name in FUNDS.items():
        funds[code], outcome = upsert(Fund, {"code": code}, {"name": name})
        summary.record("funds", outcome)
    return funds


def years_write(summary: LoadSummary) -> dict[int, FinancialYear]:
    years = {}
    for start in FINANCIAL_YEARS:
        years[start], outcome = upsert(FinancialYear, {"start_year": start}, {
            "label": year_label(start), "starts_on": date(start, 4, 1),
            "ends_on": date(start + 1, 3, 31),
        })
        summary.record("financial years", outcome)
    return years


def published_totals_write(funds: dict[str, Fund], years: dict[int, FinancialYear],
                           summary: LoadSummary) -> None:
    """The NRF's published national totals, which illustrative figures make up to."""
    for start, pence in NRF_NATIONAL_TOTAL_PENCE.items():
        _, outcome = upsert(PublishedTotal, {"fund": funds["NRF"], "year": years[start]},
                            {"amount_pence": pence})
        summary.record("published totals", outcome)


def release_in_full_policies_write(funds: dict[str, Fund], years: dict[int, FinancialYear],
                                   summary: LoadSummary) -> None:
    """The policies of `RELEASED_IN_FULL`, created if missing. An existing policy is left as it
    is: an NRU administrator changes a policy on its page, with a reason and a recompute."""
    whole = Decimal(1)
    for code, start in RELEASED_IN_FULL:
        _, created = ReleasePolicy.objects.get_or_create(
            fund=funds[code], year=years[start],
            defaults={"governing_cycle": None, "fraction_accredited": whole,
                      "fraction_deferred": whole, "fraction_undecided": whole},
        )
        summary.record("release-in-full policies", "created" if created else "unchanged")
