"""The NRU dashboard pages: who may see them, what they show, and what bad input gets."""

import re

import pytest
from django.urls import reverse

from reporting import dashboard_views
from tests.factories import RoleAssignmentFactory, UserFactory

from .dashboard_world import build_world

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("reporting:dashboard-show")


@pytest.fixture
def world(db):
    return build_world()


def _user(role: str, world):
    if role == "anonymous":
        return None
    if role == "officer":
        return RoleAssignmentFactory(officer=True, partnership=world["partnerships"]["Walsall"]).user
    if role == "chair":
        return RoleAssignmentFactory(chair=True, partnership=world["partnerships"]["Walsall"]).user
    if role == "reviewer":
        return RoleAssignmentFactory(reviewer=True, region=world["regions"]["west-midlands"]).user
    if role == "staff-without-role":
        return UserFactory(staff=True)  # Django admin rights alone do not open NRU pages
    return RoleAssignmentFactory(**{role: True}).user


@pytest.fixture
def analyst_client(client, world):
    client.force_login(_user("analyst", world))
    return client


def _urls():
    return [
        ("dashboard", reverse("reporting:dashboard-show"), ("analyst", "admin")),
        ("csv", reverse("reporting:dashboard-export-csv"), ("analyst", "admin")),
        ("xlsx", reverse("reporting:dashboard-export-xlsx"), ("analyst", "admin")),
        ("drill-down", reverse("reporting:partnership-show", args=["walsall"]), ("analyst", "admin")),
        ("import", reverse("reporting:allocations-import"), ("admin",)),
    ]


ROLES = ["anonymous", "officer", "chair", "reviewer", "staff-without-role", "analyst", "admin"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "url", "allowed"), _urls(), ids=[u[0] for u in _urls()])
def test_every_url_as_every_role(client, world, role, name, url, allowed):
    """Signed out: to sign in. Signed in without the role: 404, the page does not exist for them."""
    user = _user(role, world)
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("core:sign-in"))
    elif role in allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ["anonymous", "officer", "reviewer", "analyst"])
def test_import_confirm_refused_to_all_but_admins(client, world, role):
    user = _user(role, world)
    if user is not None:
        client.force_login(user)
    response = client.post(reverse("reporting:allocations-import-confirm"), {"token": "x"})
    assert response.status_code == (302 if role == "anonymous" else 404)


def _figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">\s*(.*?)\s*<', html)
    assert match, f"no figure {name}"
    return match.group(1)


def test_headline_figures_in_pounds(analyst_client, world):
    response = analyst_client.get(DASHBOARD)
    html = response.content.decode()
    assert response.templates[0].name == "reporting/dashboard_show.html"
    released = 300_000_001 + 450_000_000 + 612_345_679 * 67 // 100
    anticipated = 2_562_345_680
    assert _figure(html, "anticipated") == "£25,623,456.80"
    assert _figure(html, "released") == f"£{released // 100:,}.{released % 100:02d}"
    held = anticipated - released
    assert _figure(html, "held") == f"£{held // 100:,}.{held % 100:02d}"
    assert (_figure(html, "accredited"), _figure(html, "deferred"), _figure(html, "undecided")) == (
        "2", "1", "2")
    assert _figure(html, "provenance-illustrative") == "£13,123,456.79"


def test_default_is_nrf_2002_03(analyst_client, world):
    response = analyst_client.get(DASHBOARD)
    assert response.context["scope"].fund.code == "NRF"
    assert response.context["scope"].year.label == "2002/03"
    assert "National dashboard: NRF 2002/03" in response.content.decode()


def test_choose_another_year(analyst_client, world):
    response = analyst_client.get(DASHBOARD, {"fund": "NRF", "year": "2001/02"})
    assert response.context["scope"].year.label == "2001/02"
    assert response.context["headline"].anticipated_pence == sum(
        a * 2 // 3 for a in (300_000_001, 450_000_000, 612_345_679, 700_000_000, 500_000_000))


def test_filter_to_west_midlands_deferred_shows_walsall_with_held(analyst_client, world):
    response = analyst_client.get(DASHBOARD, {"region": "west-midlands", "status": "deferred"})
    rows = response.context["rows"]
    assert [r["slug"] for r in rows] == ["walsall"]
    html = response.content.decode()
    held = 612_345_679 - 612_345_679 * 67 // 100
    assert f"£{held // 100:,}.{held % 100:02d}" in html
    assert "Showing 1 to 1 of 1 partnership" in html
    # The headline stays national; the filters narrow the table only.
    assert response.context["headline"].partnerships == 5


def test_filter_by_provenance(analyst_client, world):
    response = analyst_client.get(DASHBOARD, {"provenance": "illustrative"})
    assert {r["slug"] for r in response.context["rows"]} == {"walsall", "sandwell"}


@pytest.mark.parametrize(("params", "message"), [
    ({"region": "atlantis"}, "Select a region from the list"),
    ({"status": "bribed"}, "Select an accreditation status from the list"),
    ({"provenance": "rumour"}, "Select a provenance from the list"),
    ({"sort": "password"}, "The table cannot be sorted by that column"),
    ({"order": "sideways"}, "The sort order must be ascending or descending"),
    ({"fund": "XYZ"}, "Select a fund from the list"),
    ({"year": "1999/00"}, "Select a financial year from the list"),
])
def test_bad_parameters_get_a_message_not_an_error(analyst_client, world, params, message):
    response = analyst_client.get(DASHBOARD, params)
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert message in html
    assert html.count("<title>Error: ") == 1
    # The rest of the page still works, with the bad value left out.
    assert len(response.context["rows"]) == 5


def test_filter_form_shows_the_fund_and_year_in_use_and_carries_no_token(analyst_client, world):
    html = analyst_client.get(DASHBOARD, {"region": "west-midlands"}).content.decode()
    assert '<option value="NRF" selected>' in html
    assert '<option value="2002/03" selected>' in html
    assert '<option value="west-midlands" selected>' in html
    assert "csrfmiddlewaretoken" not in html.split('class="app-filter-form"')[1].split("</form>")[0]


def test_a_bad_value_is_reported_and_the_select_shows_what_is_in_use(analyst_client, world):
    html = analyst_client.get(DASHBOARD, {"fund": "XYZ", "region": "atlantis",
                                          "sort": "password"}).content.decode()
    assert "Select a fund from the list" in html
    assert '<option value="NRF" selected>' in html
    assert '<option value="" selected>All regions</option>' in html
    assert 'name="sort" value="password"' not in html


@pytest.mark.parametrize("page", ["0", "-1", "abc", "999", "1.5", "%00"])
def test_any_page_number_gives_a_page(analyst_client, world, page):
    response = analyst_client.get(DASHBOARD, {"page": page})
    assert response.status_code == 200


def test_sorted_by_held_descending_with_aria_sort(analyst_client, world):
    response = analyst_client.get(DASHBOARD, {"sort": "held", "order": "desc"})
    rows = response.context["rows"]
    assert [r["slug"] for r in rows][:2] == ["sandwell", "wolverhampton"]
    html = response.content.decode()
    assert html.count('aria-sort="descending"') == 1
    assert html.count('aria-sort="none"') == 6
    held = next(c for c in response.context["columns"] if c["key"] == "held")
    assert "order=asc" in held["href"]  # clicking again reverses


def test_pagination_keeps_filters_and_sort(analyst_client, world, monkeypatch):
    monkeypatch.setattr(dashboard_views, "PAGE_SIZE", 2)
    response = analyst_client.get(DASHBOARD, {"sort": "anticipated", "order": "desc", "page": "2"})
    assert [r["slug"] for r in response.context["rows"]] == ["wolverhampton", "sunderland"]
    html = response.content.decode()
    assert 'class="govuk-pagination"' in html
    assert 'aria-current="page">2<' in html
    assert "sort=anticipated&amp;order=desc&amp;page=3" in html
    assert "Showing 3 to 4 of 5 partnerships" in html


def test_region_table_and_accessible_chart(analyst_client, world):
    html = analyst_client.get(DASHBOARD).content.decode()
    assert 'role="img"' in html
    assert '<title id="region-chart-title">NRF 2002/03: released and held by region</title>' in html
    assert 'aria-labelledby="region-chart-title region-chart-desc"' in html
    assert 'id="region-table"' in html
    assert " style=" not in html  # the CSP forbids inline styles


def test_reconciliation_state_is_shown(analyst_client, world):
    from funding.ledger import releases_reconcile

    releases_reconcile()
    html = analyst_client.get(DASHBOARD).content.decode()
    assert "10 allocations checked" in html
    assert "None: every ledger total matched the rule" in html


def test_admin_sees_the_import_link_analyst_does_not(client, world):
    link = reverse("reporting:allocations-import")
    client.force_login(_user("admin", world))
    assert link in client.get(DASHBOARD).content.decode()
    client.force_login(_user("analyst", world))
    assert link not in client.get(DASHBOARD).content.decode()


def test_page_within_query_budget(analyst_client, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        response = analyst_client.get(DASHBOARD, {"region": "west-midlands", "sort": "held"})
    assert response.status_code == 200


def test_drill_down_shows_assessment_decision_letter_and_timeline(analyst_client, world):
    response = analyst_client.get(reverse("reporting:partnership-show", args=["walsall"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Walsall LSP" in html
    assert "2002/03 cycle" in html
    assert "Deferred" in html
    decision = world["partnerships"]["Walsall"].assessments.get().decisions.get()
    letter = reverse("review:decision-letter", args=[decision.pk])
    assert 'id="timeline"' in html
    assert "decision deferred" in html.lower()
    # The movement the deferral caused links to the decision, which the analyst may read.
    assert f'<a class="govuk-link" href="{letter}">Read the decision' in html
    assert analyst_client.get(letter).status_code == 200
    # The other movements would link to this very page: no link.
    assert f'href="{reverse("reporting:partnership-show", args=["walsall"])}"' not in html


def test_drill_down_of_unknown_partnership_is_404(analyst_client, world):
    response = analyst_client.get(reverse("reporting:partnership-show", args=["atlantis"]))
    assert response.status_code == 404
