"""Only real choices: the dashboard, its exports and the API offer only the fund-years with
allocations or budgets, and a fund-year published only by region shows its regional budgets
rather than £0 of partnerships."""

import re

import pytest
from django.urls import reverse

from reporting.api_tokens import api_token_create
from tests.factories import (
    FinancialYearFactory,
    FundFactory,
    RegionalBudgetFactory,
    RoleAssignmentFactory,
    SourceFactory,
)

from .dashboard_world import build_world

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("reporting:dashboard-show")
CEF_BUDGETS = {"north-east": 228_033_00, "west-midlands": 905_245_17}


@pytest.fixture
def world(db):
    world = build_world()
    FinancialYearFactory(start_year=2004)  # a year loaded, with nothing in it
    cef = FundFactory(code="CEF")
    source = SourceFactory(key="HC2004-CEF")
    for year in (2003, 2004):
        for slug, pence in CEF_BUDGETS.items():
            RegionalBudgetFactory(region=world["regions"][slug], fund=cef,
                                  year=FinancialYearFactory(start_year=year), amount_pence=pence,
                                  source=source)
    world["cef"] = cef
    return world


@pytest.fixture
def analyst_client(client, world):
    client.force_login(RoleAssignmentFactory(analyst=True).user)
    return client


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"', select)


def test_the_filters_offer_only_fund_years_with_figures(analyst_client, world):
    html = analyst_client.get(DASHBOARD).content.decode()
    assert _options(html, "fund") == ["CEF", "NRF"]
    assert _options(html, "year") == ["2001/02", "2002/03"]  # NRF's: not 2003/04 nor 2004/05
    cef = analyst_client.get(DASHBOARD, {"fund": "CEF"}).content.decode()
    assert _options(cef, "year") == ["2003/04", "2004/05"]


def test_a_year_without_the_funds_figures_is_refused_with_the_reason(analyst_client, world):
    response = analyst_client.get(DASHBOARD, {"fund": "NRF", "year": "2004/05"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "Select a financial year from the list: the fund has figures for 2001/02, 2002/03" in html
    assert response.context["scope"].year.label == "2002/03"
    assert "National dashboard: NRF 2002/03" in html


def test_cef_shows_its_regional_budgets_not_zero(analyst_client, world):
    response = analyst_client.get(DASHBOARD, {"fund": "CEF", "year": "2003/04"})
    html = response.content.decode()
    assert response.context["scope"].year.label == "2003/04"
    assert 'data-figure="regional-budgets">£1,133,278.17<' in html
    assert "Anticipated" not in html
    rows = dict(re.findall(r'<tr class="govuk-table__row" data-region="([^"]+)">.*?'
                           r'govuk-table__cell--numeric">([^<]+)<', html, re.S))
    assert rows == {"north-east": "£228,033", "west-midlands": "£905,245.17"}
    assert "HC2004-CEF" in html
    # The default year of CEF is its first with figures, not NRF's 2002/03.
    assert analyst_client.get(DASHBOARD, {"fund": "CEF"}).context["scope"].year.label == "2003/04"


def test_the_api_refuses_a_fund_year_without_figures(client, world):
    admin = RoleAssignmentFactory(admin=True).user
    key = api_token_create(name="Choices", valid_days=30, created_by=admin)[1]
    url = reverse("reporting_api:allocation-list")
    headers = {"Authorization": f"Token {key}"}
    refused = client.get(url, {"fund": "NRF", "year": "2004/05"}, headers=headers)
    assert refused.status_code == 400
    assert "the fund has figures for 2001/02, 2002/03" in refused.json()["year"][0]
    cef = client.get(url, {"fund": "CEF"}, headers=headers)
    assert cef.status_code == 200 and cef.json()["count"] == 0
