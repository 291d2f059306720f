"""A fund and year with allocations but no release policy releases nothing, says so to NRU
staff ("No release policy yet") on the dashboard, the partnership's funding page and the
release policies page, and reconciliation reports it. A policy with no governing cycle still
releases everything: only a missing policy changed."""

import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from funding.basis import fund_years_without_policy
from funding.ledger import releases_recompute, releases_reconcile
from funding.selectors import allocation_figures, partnership_funding_summary
from tests.factories import (
    AllocationFactory,
    FinancialYearFactory,
    ReleasePolicyFactory,
    RoleAssignmentFactory,
)

from .test_partnership_funding import PageReader

pytestmark = pytest.mark.django_db

NEW_YEAR_PENCE = 500_000_000  # £5,000,000.00


@pytest.fixture
def new_year(walsall):
    """Walsall deferred for 2002/03, and its NRF 2004/05 figure imported before anyone set a
    policy for that year."""
    walsall.defer()
    walsall.nrf_2004 = AllocationFactory(
        partnership=walsall.partnership, fund=walsall.policy.fund,
        year=FinancialYearFactory(start_year=2004), amount_pence=NEW_YEAR_PENCE)
    releases_recompute(partnership=walsall.partnership)
    return walsall


def _released(allocation) -> int:
    return allocation_figures().get(pk=allocation.pk).released_pence


def test_an_allocation_with_no_policy_releases_nothing_until_one_is_set(new_year):
    assert _released(new_year.nrf_2004) == 0
    line = next(line for line in partnership_funding_summary(partnership=new_year.partnership).lines
                if line.allocation == new_year.nrf_2004)
    assert (line.basis, line.fraction) == ("No release policy yet", 0)
    # What was there before is untouched: NRF 2001/02 in full, 2002/03 at the deferred 67%.
    assert _released(new_year.nrf_2001) == new_year.nrf_2001.amount_pence
    assert _released(new_year.nrf_2002) == new_year.nrf_2002.amount_pence * 67 // 100

    ReleasePolicyFactory(fund=new_year.policy.fund, year=new_year.nrf_2004.year, ungoverned=True)
    releases_recompute(partnership=new_year.partnership)
    assert _released(new_year.nrf_2004) == NEW_YEAR_PENCE  # no governing cycle: in full


def test_reconciliation_reports_the_fund_years_with_no_policy(new_year, caplog):
    assert [(m.fund, m.year, m.allocations, m.amount_pence)
            for m in fund_years_without_policy()] == [("NRF", "2004/05", 1, NEW_YEAR_PENCE)]
    with caplog.at_level(logging.WARNING, logger="funding.ledger"):
        run = releases_reconcile()
    assert run.drift_count == 0  # releasing nothing is the rule, not drift
    assert "NRF 2004/05 has no release policy" in caplog.text
    out = StringIO()
    call_command("releases_reconcile", stdout=out)
    assert ("No release policy yet for NRF 2004/05: 1 allocation (£5,000,000), nothing "
            "released until an NRU administrator sets one.") in out.getvalue()


def test_nru_staff_are_told_on_the_partnership_funding_page(client, new_year):
    client.force_login(RoleAssignmentFactory(analyst=True).user)
    page = client.get(reverse("funding:partnership-funding", args=[new_year.partnership.slug]))
    row = PageReader(page.content.decode()).allocations["NRF-2004"]
    assert "No release policy yet" in row.text
    assert row.figures["released"] == "£0.00" and row.figures["held"] == "£5,000,000.00"


def test_nru_staff_are_told_on_the_dashboard(client, new_year):
    client.force_login(RoleAssignmentFactory(analyst=True).user)
    url = reverse("reporting:dashboard-show")
    html = client.get(url, {"fund": "NRF", "year": "2004/05"}).content.decode()
    assert 'id="no-release-policy"' in html
    assert "No release policy yet: nothing of NRF 2004/05 is released" in html
    for year in ("2002/03", "2001/02"):  # governed; released in full by its policy
        assert 'id="no-release-policy"' not in client.get(url, {"fund": "NRF",
                                                                "year": year}).content.decode()


def test_nru_administrators_are_told_on_the_release_policies_page(client, new_year):
    client.force_login(new_year.admin)
    html = client.get(reverse("funding:releasepolicy-list")).content.decode()
    assert 'id="no-release-policy"' in html and "NRF 2004/05 (1 allocation)" in html
