"""Targets pages: every URL tried as every role, the forms' messages, the national page's
chart, table and CSV export."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from performance.models import Kind, ProgressReturn, Target
from tests.factories import PartnershipFactory, RegionFactory, RoleAssignmentFactory, UserFactory
from tests.performance.factories import FloorTargetFactory, ProgressReturnFactory, TargetFactory
from tests.row_snapshot import restored

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def world():
    """Built once per test process and restored per test (tests/row_snapshot.py)."""
    return restored(_world)


def _world():
    west, north = RegionFactory(name="West Midlands"), RegionFactory(name="North West")
    walsall = PartnershipFactory(local_authority__name="Walsall", local_authority__region=west)
    sandwell = PartnershipFactory(local_authority__name="Sandwell", local_authority__region=west)
    knowsley = PartnershipFactory(local_authority__name="Knowsley", local_authority__region=north)
    target = TargetFactory(partnership=walsall, title="Fewer burglaries")
    progress = ProgressReturnFactory(target=target, year=2002, actual=D("37.5"))
    users = {
        "officer": RoleAssignmentFactory(officer=True, partnership=walsall).user,
        "chair": RoleAssignmentFactory(chair=True, partnership=walsall).user,
        "other_officer": RoleAssignmentFactory(officer=True, partnership=sandwell).user,
        "far_officer": RoleAssignmentFactory(officer=True, partnership=knowsley).user,
        "reviewer": RoleAssignmentFactory(reviewer=True, region=west).user,
        "other_reviewer": RoleAssignmentFactory(reviewer=True, region=north).user,
        "analyst": RoleAssignmentFactory(analyst=True).user,
        "admin": RoleAssignmentFactory(admin=True).user,
        "no_role": UserFactory(),
    }
    return {"walsall": walsall, "target": target, "progress": progress, "users": users}


READ = ("officer", "chair", "reviewer", "analyst", "admin")
EDIT = ("officer", "chair")
NATIONAL = ("analyst", "admin")
ROLES = ("officer", "chair", "other_officer", "far_officer", "reviewer", "other_reviewer", "analyst",
         "admin", "no_role")


def _urls(world):
    slug, pk, rpk = world["walsall"].slug, world["target"].pk, world["progress"].pk
    return {
        # name: (url, roles answered 200)
        "target-list": (reverse("performance:target-list", args=[slug]), READ),
        "target-detail": (reverse("performance:target-detail", args=[pk]), READ),
        "target-add": (reverse("performance:target-add", args=[slug]), EDIT),
        "target-change": (reverse("performance:target-change", args=[pk]), EDIT),
        "return-add": (reverse("performance:return-add", args=[pk]), EDIT),
        "return-change": (reverse("performance:return-change", args=[rpk]), EDIT),
        "progress-national": (reverse("performance:progress-national"), NATIONAL),
        "progress-national-export": (reverse("performance:progress-national-export"), NATIONAL),
    }


URL_NAMES = ("target-list", "target-detail", "target-add", "target-change", "return-add",
             "return-change", "progress-national", "progress-national-export")


@pytest.mark.parametrize("name", URL_NAMES)
@pytest.mark.parametrize("role", ROLES)
def test_every_url_as_every_role(client, world, name, role):
    url, allowed = _urls(world)[name]
    client.force_login(world["users"][role])
    assert client.get(url).status_code == (200 if role in allowed else 404)


@pytest.mark.parametrize("name", URL_NAMES)
@pytest.mark.parametrize("role", [r for r in ROLES if r not in EDIT])
def test_nobody_else_can_post(client, world, name, role):
    url, _ = _urls(world)[name]
    client.force_login(world["users"][role])

    def state():
        return Target.objects.count(), list(ProgressReturn.objects.values_list("actual", "commentary"))

    before = state()
    response = client.post(url, {"actual": "1", "year": "2003", "title": "Mine now", "commentary": "x"})
    assert response.status_code in (404, 405)
    assert state() == before


@pytest.mark.parametrize("name", [*URL_NAMES, "home", "floortarget-list"])
def test_anonymous_users_are_sent_to_sign_in(client, world, name):
    url = _urls(world)[name][0] if name in URL_NAMES else reverse(f"performance:{name}")
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("core:sign-in"))


def test_unknown_ids_are_404(client, world):
    client.force_login(world["users"]["officer"])
    for url in ("/performance/targets/999999/", "/performance/returns/999999/change/",
                "/performance/partnerships/nowhere/"):
        assert client.get(url).status_code == 404


# --- home ------------------------------------------------------------------------------------


def test_home_takes_an_officer_straight_to_their_targets(client, world):
    client.force_login(world["users"]["officer"])
    response = client.get(reverse("performance:home"))
    assert response.status_code == 302
    assert response.url == reverse("performance:target-list", args=[world["walsall"].slug])


def test_home_lists_a_reviewers_region_with_counts(client, world):
    client.force_login(world["users"]["reviewer"])
    response = client.get(reverse("performance:home"))
    assert response.status_code == 200
    names = [row["partnership"].local_authority.name for row in response.context["rows"]]
    assert names == ["Sandwell", "Walsall"]
    walsall = response.context["rows"][1]
    assert (walsall["green"], walsall["total"]) == (1, 1)
    assert b"Targets by theme and region" not in response.content


def test_home_links_nru_to_the_national_page(client, world):
    client.force_login(world["users"]["analyst"])
    response = client.get(reverse("performance:home"))
    assert len(response.context["rows"]) == 3
    assert reverse("performance:progress-national").encode() in response.content


def test_home_is_404_without_a_role(client, world):
    client.force_login(world["users"]["no_role"])
    assert client.get(reverse("performance:home")).status_code == 404


# --- pages ---------------------------------------------------------------------------------


def test_target_page_shows_how_the_judgement_was_made(client, world):
    client.force_login(world["users"]["reviewer"])
    response = client.get(reverse("performance:target-detail", args=[world["target"].pk]))
    html = response.content.decode()
    assert "How the 2002/03 judgement was made" in html
    assert "so the expected value is 40 − 10 × 1/4 = 37.5." in html
    assert "is exactly the expected value, so it is on track (green)." in html
    # Read-only for the reviewer.
    assert reverse("performance:return-add", args=[world["target"].pk]) not in html
    assert reverse("performance:target-change", args=[world["target"].pk]) not in html


def test_officer_sees_the_edit_links(client, world):
    client.force_login(world["users"]["officer"])
    html = client.get(reverse("performance:target-detail", args=[world["target"].pk])).content.decode()
    assert reverse("performance:return-add", args=[world["target"].pk]) in html
    assert reverse("performance:return-change", args=[world["progress"].pk]) in html


def test_floor_target_list_is_for_every_signed_in_user(client, world):
    FloorTargetFactory(wording="Reduce domestic burglary by 25% by 2005")
    FloorTargetFactory(wording="A retired one", is_current=False)
    client.force_login(world["users"]["no_role"])
    html = client.get(reverse("performance:floortarget-list")).content.decode()
    assert "Reduce domestic burglary by 25% by 2005" in html
    assert "A retired one" not in html
    assert "admin pages" not in html


# --- adding and changing ------------------------------------------------------------------------

TARGET_POST = {
    "theme": "crime", "title": "Fewer robberies", "indicator": "Robberies per 1,000 residents",
    "unit": "per_1000", "baseline_value": "4.2", "baseline_year": "2001",
    "target_value": "3", "target_year": "2005", "lead_partner": "West Midlands Police",
}


def test_officer_adds_a_floor_target(client, world):
    floor = FloorTargetFactory(wording="Reduce crime and the fear of crime")
    client.force_login(world["users"]["officer"])
    url = reverse("performance:target-add", args=[world["walsall"].slug])
    assert "Reduce crime and the fear of crime" in client.get(url).content.decode()

    response = client.post(url, {**TARGET_POST, "kind": f"floor-{floor.pk}",
                                 "baseline_value": "1,204.5", "target_value": "1000"})

    target = Target.objects.get(title="Fewer robberies")
    assert response.status_code == 302 and response.url == reverse("performance:target-detail",
                                                                   args=[target.pk])
    assert (target.partnership, target.kind, target.floor_target) == (world["walsall"], Kind.FLOOR, floor)
    assert target.baseline_value == D("1204.50")


def test_chair_may_add_a_local_target_too(client, world):
    client.force_login(world["users"]["chair"])
    response = client.post(reverse("performance:target-add", args=[world["walsall"].slug]),
                           {**TARGET_POST, "kind": "lpsa"})
    assert response.status_code == 302
    assert Target.objects.get(title="Fewer robberies").kind == Kind.LPSA


@pytest.mark.parametrize(("change", "message"), [
    ({"baseline_value": "four"}, "Enter the baseline value as a number, like 12 or 12.5"),
    ({"baseline_value": "4.255"}, "The baseline value must have no more than 2 decimal places"),
    ({"baseline_value": "NaN"}, "Enter the baseline value as a number, like 12 or 12.5"),
    ({"target_year": "05"}, "The target year must be between 1990 and 2030"),
    ({"target_year": "2005/06"}, "Enter the target year as a 4-digit year, like 2001"),
    ({"target_year": "2000"}, "The target year must be after the baseline year (2001/02)"),
    ({"target_value": "4.2"}, "The target value must be different from the baseline value"),
    ({"kind": ""}, "Select which target this is"),
    ({"kind": "floor-999999"}, "Select which target this is"),
    ({"title": ""}, "Enter the title of the target"),
    ({"unit": "percent", "baseline_value": "104"}, "The baseline value is a percentage, so it must be "
                                                   "100 or less"),
])
def test_bad_target_input_is_shown_in_the_error_summary(client, world, change, message):
    client.force_login(world["users"]["officer"])
    response = client.post(reverse("performance:target-add", args=[world["walsall"].slug]),
                           {**TARGET_POST, "kind": "local", **change})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and message in html
    assert "<title>Error: Add a target" in html
    assert not Target.objects.filter(title=change.get("title", "Fewer robberies")).exists()


def test_the_change_form_is_filled_in_and_saves(client, world):
    client.force_login(world["users"]["officer"])
    url = reverse("performance:target-change", args=[world["target"].pk])
    form = client.get(url).context["form"]
    assert form.initial["title"] == "Fewer burglaries" and form.initial["kind"] == "local"

    response = client.post(url, {**TARGET_POST, "kind": "local", "title": "Fewer burglaries",
                                 "baseline_value": "40", "target_value": "20"})

    assert response.status_code == 302
    world["target"].refresh_from_db()
    world["progress"].refresh_from_db()
    assert world["target"].target_value == D("20")
    assert world["progress"].rag == "red"  # 37.5 in 2002/03 against 35 expected, tolerance 2


def test_officer_adds_a_return_and_sees_its_judgement(client, world):
    client.force_login(world["users"]["officer"])
    url = reverse("performance:return-add", args=[world["target"].pk])
    form = client.get(url).context["form"]
    assert [label for _, label in form.fields["year"].choices] == [
        "2003/04", "2004/05", "2005/06"]  # 2002/03 has a return

    response = client.post(url, {"year": "2003", "actual": "36", "commentary": ""}, follow=True)
    assert "The target is at risk in 2003/04: say why, and what the partnership is doing about it" in (
        response.content.decode())

    response = client.post(url, {"year": "2003", "actual": "36",
                                 "commentary": "Two estates were slower to start."}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("performance:target-detail",
                                                     args=[world["target"].pk])
    assert "The 2003/04 return has been saved: at risk" in response.content.decode()
    assert ProgressReturn.objects.get(target=world["target"], year=2003).rag == "amber"


@pytest.mark.parametrize(("year", "message"), [
    ("2001", "Select a financial year from 2002/03 to 2005/06 that has no return yet"),
    ("2002", "Select a financial year from 2002/03 to 2005/06 that has no return yet"),
    ("", "Select the financial year of the return"),
])
def test_a_return_for_a_year_outside_the_span_or_taken_is_refused(client, world, year, message):
    client.force_login(world["users"]["officer"])
    response = client.post(reverse("performance:return-add", args=[world["target"].pk]),
                           {"year": year, "actual": "35"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert ProgressReturn.objects.count() == 1


def test_when_every_year_has_a_return_there_is_nothing_to_add(client, world):
    for year in (2003, 2004, 2005):
        ProgressReturnFactory(target=world["target"], year=year)
    client.force_login(world["users"]["officer"])
    html = client.get(reverse("performance:return-add", args=[world["target"].pk])).content.decode()
    assert "Every year from 2002/03 to 2005/06 that has started already has a return." in html
    detail = client.get(reverse("performance:target-detail", args=[world["target"].pk])).content.decode()
    assert "Add a progress return" not in detail


def test_officer_changes_a_return(client, world):
    client.force_login(world["users"]["officer"])
    url = reverse("performance:return-change", args=[world["progress"].pk])
    assert client.get(url).context["form"].initial["actual"] == D("37.50")
    response = client.post(url, {"actual": "39", "commentary": "Revised police figures."})
    assert response.status_code == 302
    world["progress"].refresh_from_db()
    assert (world["progress"].actual, world["progress"].rag) == (D("39.00"), "red")


def test_other_officer_cannot_reach_walsalls_forms_by_guessing(client, world):
    client.force_login(world["users"]["other_officer"])
    for url in (reverse("performance:target-change", args=[world["target"].pk]),
                reverse("performance:return-add", args=[world["target"].pk]),
                reverse("performance:return-change", args=[world["progress"].pk])):
        assert client.post(url, {**TARGET_POST, "kind": "local", "year": "2003", "actual": "1"}
                           ).status_code == 404
    assert Target.objects.get().title == "Fewer burglaries"


# --- national -------------------------------------------------------------------------------


def test_national_page_has_a_chart_and_its_table(client, world):
    ProgressReturnFactory(target=TargetFactory(partnership=world["walsall"], theme="health"),
                          year=2003, actual=D("40"))
    client.force_login(world["users"]["analyst"])
    response = client.get(reverse("performance:progress-national"))
    html = response.content.decode()
    chart = re.search(r"<svg[^>]*class=\"app-chart\".*?</svg>", html, re.S).group(0)
    assert 'role="img"' in chart and "<title" in chart and "<desc" in chart
    assert "style=" not in chart
    assert "West Midlands: 1 on track, 0 at risk, 1 off track, 0 no return yet" in chart
    regions = {r["label"]: r for r in response.context["regions"]}
    assert (regions["West Midlands"]["green"], regions["West Midlands"]["red"]) == (1, 1)
    assert regions["North West"]["total"] == 0


def test_national_page_filters_by_theme_and_year(client, world):
    ProgressReturnFactory(target=TargetFactory(partnership=world["walsall"], theme="health"),
                          year=2003, actual=D("40"))
    client.force_login(world["users"]["analyst"])
    response = client.get(reverse("performance:progress-national"), {"theme": "health", "as_at": "2002"})
    west = {r["label"]: r for r in response.context["regions"]}["West Midlands"]
    assert (west["none"], west["total"]) == (1, 1)  # its only return is for 2003/04
    assert "Standing of health targets by region, as at 2002/03" in response.content.decode()


def test_national_tables_carry_their_captions(client, world):
    """Both count tables (by region, by theme) come from one include, each with its caption."""
    client.force_login(world["users"]["analyst"])
    response = client.get(reverse("performance:progress-national"), {"theme": "health", "as_at": "2002"})
    html = response.content.decode()
    assert 'id="by-region"' in html and 'id="by-theme"' in html
    assert "The figures in the chart: health targets by region</caption>" in html
    assert "All regions by theme, as at 2002/03</caption>" in html


def test_national_page_refuses_a_bad_filter_plainly(client, world):
    client.force_login(world["users"]["analyst"])
    response = client.get(reverse("performance:progress-national"), {"theme": "weather"})
    assert response.status_code == 400
    assert "Select a theme from the list" in response.content.decode()


def test_national_export_has_every_theme_and_region(client, world):
    client.force_login(world["users"]["admin"])
    response = client.get(reverse("performance:progress-national-export"), {"as_at": "2002"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="targets-by-theme-and-region-as-at-2002-03.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 6 * 2
    crime_west = next(r for r in rows if r["theme"] == "Crime" and r["region"] == "West Midlands")
    assert crime_west == {"theme": "Crime", "region": "West Midlands", "on_track": "1", "at_risk": "0",
                          "off_track": "0", "no_return_yet": "0", "total": "1", "as_at": "2002/03"}


def test_national_export_refuses_a_bad_filter(client, world):
    client.force_login(world["users"]["admin"])
    assert client.get(reverse("performance:progress-national-export"), {"as_at": "1900"}).status_code == 404


# --- query budgets: list pages cost the same whatever their length -------------------------------


def _many(partnership, n):
    for i in range(n):
        target = TargetFactory(partnership=partnership, title=f"Many {i}", floor=bool(i % 2))
        ProgressReturnFactory(target=target, year=2002)
        ProgressReturnFactory(target=target, year=2003)


@pytest.mark.parametrize(("role", "name"), [
    ("officer", "target-list"), ("analyst", "home"), ("analyst", "progress-national"),
    ("reviewer", "home"),
])
def test_list_pages_have_a_query_budget(client, world, django_assert_max_num_queries, role, name):
    for _ in range(3):
        _many(PartnershipFactory(local_authority__region=world["walsall"].region), 2)
    _many(world["walsall"], 12)
    client.force_login(world["users"][role])
    url = reverse(f"performance:{name}", args=[world["walsall"].slug] if name == "target-list" else [])
    with django_assert_max_num_queries(10):
        assert client.get(url).status_code == 200


def test_national_export_never_hands_a_spreadsheet_a_formula(client, world):
    RegionFactory(name="=HYPERLINK(\"http://evil.example\")")
    client.force_login(world["users"]["analyst"])
    rows = list(csv.reader(io.StringIO(
        client.get(reverse("performance:progress-national-export")).content.decode())))
    assert "'=HYPERLINK(\"http://evil.example\")" in {row[1] for row in rows}
    assert not any(cell.startswith("=") for row in rows for cell in row)
