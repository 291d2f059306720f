"""A partnership's funding page: who may see it, figures that are the ledger's sums, a timeline
whose links go to the decision or policy change each viewer may open, the banner for an owed
recompute, and a query count that does not grow with the ledger."""

from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accreditation.models import AccreditationEvent, Status
from core.models import Provenance
from funding.ledger import releases_recompute
from funding.models import Allocation, RecomputeRequest, ReleaseEntry
from funding.policies import release_policy_change
from tests.factories import (
    AllocationFactory,
    FinancialYearFactory,
    FundFactory,
    ReleasePolicyFactory,
    RoleAssignmentFactory,
    SourceFactory,
)
from tests.row_snapshot import restored

from .conftest import WALSALL_2002_PENCE, make_scenario

pytestmark = pytest.mark.django_db

CEF_2002_PENCE = 4_567_891  # £45,678.91: pence that show
ROLES = ("officer", "chair", "reviewer", "other_officer", "other_reviewer", "analyst", "admin",
         "nobody")
SEES = {"officer", "chair", "reviewer", "analyst", "admin"}


@pytest.fixture
def world():
    """Walsall (West Midlands) under review with NRF 2001/02 and 2002/03 and a published CEF
    2002/03 figure, and one person in every role, inside and outside its scope (built once per
    test process and restored per test, tests/row_snapshot.py)."""
    return restored(_world)


def _world():
    walsall = make_scenario()
    cef, y2002 = FundFactory(code="CEF"), FinancialYearFactory(start_year=2002)
    ReleasePolicyFactory(fund=cef, year=y2002, ungoverned=True)  # released in full
    walsall.cef_2002 = AllocationFactory(
        partnership=walsall.partnership, fund=cef, year=y2002, amount_pence=CEF_2002_PENCE,
        provenance=Provenance.PUBLISHED,
        source=SourceFactory(key="HC2003-CEF", citation="HC Deb 2003, CEF regional budgets"),
    )
    sandwell = make_scenario(name="Sandwell")  # same region, another partnership
    walsall.users = {
        "officer": RoleAssignmentFactory(officer=True, partnership=walsall.partnership).user,
        "chair": RoleAssignmentFactory(chair=True, partnership=walsall.partnership).user,
        "reviewer": walsall.reviewer,
        "other_officer": RoleAssignmentFactory(officer=True, partnership=sandwell.partnership).user,
        "other_reviewer": RoleAssignmentFactory(reviewer=True).user,  # another region
        "analyst": RoleAssignmentFactory(analyst=True).user,
        "admin": walsall.admin,
        "nobody": RoleAssignmentFactory(analyst=True).user,
    }
    walsall.users["nobody"].role_assignments.all().delete()
    return walsall


def page_url(partnership) -> str:
    return reverse("funding:partnership-funding", args=[partnership.slug])


def get(client, world, role, partnership=None):
    client.force_login(world.users[role])
    return client.get(page_url(partnership or world.partnership))


# --- A small reader of the rendered page ----------------------------------------------------------


@dataclass
class Row:
    key: str
    figures: dict[str, str] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)
    text: str = ""


class PageReader(HTMLParser):
    """Rows marked data-allocation (with their data-figure cells) and data-entry (with their
    links), and whether the owed banner is there."""

    def __init__(self, html: str):
        super().__init__()
        self.allocations: dict[str, Row] = {}
        self.entries: list[Row] = []
        self.banner = False
        self._row: Row | None = None
        self._figure: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") == "recompute-owed":
            self.banner = True
        if tag == "tr" and "data-allocation" in attrs:
            self._row = self.allocations.setdefault(attrs["data-allocation"],
                                                    Row(attrs["data-allocation"]))
        elif tag == "tr" and "data-entry" in attrs:
            self._row = Row(attrs["data-entry"])
            self.entries.append(self._row)
        elif self._row is not None and tag == "td" and "data-figure" in attrs:
            self._figure = attrs["data-figure"]
            self._row.figures[self._figure] = ""
        elif self._row is not None and tag == "a":
            self._row.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "td":
            self._figure = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._row is not None:
            self._row.text += data
            if self._figure:
                self._row.figures[self._figure] += data.strip()


def read(response) -> PageReader:
    assert response.status_code == 200
    return PageReader(response.content.decode())


def pounds(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


def defer_and_settle(world):
    world.defer()
    releases_recompute(partnership=world.partnership)


# --- Who may see it -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_the_partnerships_people_its_regions_reviewers_and_nru_see_it(client, world, role):
    response = get(client, world, role)
    if role in SEES:
        assert response.status_code == 200
        assert response.templates[0].name == "funding/partnership_funding.html"
        assert "Walsall LSP: funding" in response.content.decode()
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_a_post_is_refused_and_says_nothing_to_those_out_of_scope(client, world, role):
    client.force_login(world.users[role])
    response = client.post(page_url(world.partnership))
    assert response.status_code == (405 if role in SEES else 404)


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_sign_in(client, world, method):
    response = getattr(client, method)(page_url(world.partnership))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:sign-in"))


def test_an_unknown_partnership_is_404_even_for_nru(client, world):
    client.force_login(world.users["admin"])
    assert client.get(reverse("funding:partnership-funding", args=["nowhere"])).status_code == 404


def test_the_other_officer_sees_their_own_partnership_but_not_walsall(client, world):
    sandwell = world.users["other_officer"].role_assignments.get().partnership
    assert get(client, world, "other_officer", sandwell).status_code == 200
    assert get(client, world, "other_officer").status_code == 404


# --- Figures --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(SEES))
def test_figures_are_the_ledgers_sums_with_provenance_and_source(client, world, role):
    defer_and_settle(world)
    page = read(get(client, world, role))

    expected_total = {"anticipated": 0, "released": 0, "held": 0}
    for allocation in Allocation.objects.filter(partnership=world.partnership).select_related(
            "fund", "year"):
        # Summed here in Python from the rows, not by the selector's subquery.
        released = sum(e.amount_pence for e in ReleaseEntry.objects.filter(allocation=allocation))
        row = page.allocations[f"{allocation.fund.code}-{allocation.year.start_year}"]
        assert row.figures == {
            "anticipated": pounds(allocation.amount_pence),
            "released": pounds(released),
            "held": pounds(allocation.amount_pence - released),
        }
        expected_total["anticipated"] += allocation.amount_pence
        expected_total["released"] += released
        expected_total["held"] += allocation.amount_pence - released
    assert page.allocations["total"].figures == {k: pounds(v) for k, v in expected_total.items()}

    nrf = page.allocations["NRF-2002"]
    assert nrf.figures["released"] == pounds(WALSALL_2002_PENCE * 67 // 100) == "£2,566,100.00"
    assert nrf.figures["held"] == "£1,263,900.00"
    assert "Deferred: 67%" in nrf.text and "Illustrative" in nrf.text
    cef = page.allocations["CEF-2002"]
    assert cef.figures["released"] == "£45,678.91" and cef.figures["held"] == "£0.00"
    assert "Published" in cef.text and "HC2003-CEF" in cef.text
    assert "HC Deb 2003, CEF regional budgets" in get(client, world, role).content.decode()


def test_a_partnership_with_no_money_moved_says_so(client, world):
    page = get(client, world, "analyst").content.decode()
    assert "No money has moved for this partnership yet." in page
    assert pounds(WALSALL_2002_PENCE) in page  # anticipated, all of it held


# --- The owed banner ------------------------------------------------------------------------------


def test_the_banner_shows_while_a_recompute_is_owed_and_not_after(client, world):
    # Submission and the start of the review owed recomputes too; settle them first.
    assert read(get(client, world, "officer")).banner
    releases_recompute(partnership=world.partnership)
    assert not read(get(client, world, "officer")).banner

    world.defer()  # commits the decision and its outbox row; no worker has run it yet
    assert RecomputeRequest.objects.filter(partnership=world.partnership,
                                           completed_at__isnull=True).exists()
    page = read(get(client, world, "officer"))
    assert page.banner
    assert page.allocations["NRF-2002"].figures["released"] == "£0.00"  # as before the decision

    releases_recompute(partnership=world.partnership)
    assert not RecomputeRequest.objects.filter(partnership=world.partnership,
                                               completed_at__isnull=True).exists()
    page = read(get(client, world, "officer"))
    assert not page.banner
    assert page.allocations["NRF-2002"].figures["released"] == "£2,566,100.00"


def test_another_partnerships_owed_recompute_shows_no_banner_here(client, world):
    releases_recompute(partnership=world.partnership)
    sandwell = world.users["other_officer"].role_assignments.get().partnership
    RecomputeRequest.objects.create(partnership=sandwell, cause=RecomputeRequest.Cause.EVENT)
    assert not read(get(client, world, "admin")).banner
    assert read(get(client, world, "admin", sandwell)).banner


# --- Timeline links -------------------------------------------------------------------------------


def decision_entry(world) -> ReleaseEntry:
    return ReleaseEntry.objects.get(allocation=world.nrf_2002, event__to_status=Status.DEFERRED)


@pytest.mark.parametrize(("role", "expected"), [
    ("officer", "accreditation:decision-letter"),
    ("chair", "accreditation:decision-letter"),
    ("reviewer", "review:decision-letter"),
    ("analyst", "review:decision-letter"),
    ("admin", "review:decision-letter"),
])
def test_a_decisions_entry_links_to_that_decision_on_a_page_the_viewer_may_open(
        client, world, role, expected):
    defer_and_settle(world)
    entry = decision_entry(world)
    decision = entry.event.decision
    args = ([entry.event.assessment_id, decision.pk] if expected.startswith("accreditation")
            else [decision.pk])
    page = read(get(client, world, role))

    [row] = [r for r in page.entries if r.key == str(entry.pk)]
    assert row.links == [reverse(expected, args=args)]
    assert "Decision deferred by GO West Midlands" in row.text
    assert client.get(row.links[0]).status_code == 200


def test_an_entry_caused_by_an_event_without_a_decision_links_to_the_assessment(client, world):
    """An entry tied to a transition that records no decision (here the start of the review)
    goes to the assessment's page of each viewer: history, review, or NRU's drill-down."""
    started = AccreditationEvent.objects.get(assessment__partnership=world.partnership,
                                             to_status=Status.UNDER_REVIEW)
    entries = releases_recompute(partnership=world.partnership, event=started)
    assert {e.allocation for e in entries} == {world.nrf_2001, world.cef_2002}  # ungoverned
    assessment = started.assessment_id
    expected = {
        "officer": reverse("accreditation:assessment-history", args=[assessment]),
        "chair": reverse("accreditation:assessment-history", args=[assessment]),
        "reviewer": reverse("review:assessment-detail", args=[assessment]),
        "analyst": reverse("reporting:partnership-show", args=[world.partnership.slug]),
        "admin": reverse("reporting:partnership-show", args=[world.partnership.slug]),
    }
    for role, url in expected.items():
        rows = read(get(client, world, role)).entries
        assert sorted(r.key for r in rows) == sorted(str(e.pk) for e in entries)
        assert all(r.links == [url] for r in rows), role
        assert client.get(url).status_code == 200, role


def test_a_policy_changes_entry_links_to_the_policy_for_administrators_only(client, world):
    defer_and_settle(world)
    change = release_policy_change(policy=world.policy, by=world.admin, reason="Holdback",
                                   fraction_deferred=Decimal("0.7"))
    [entry] = releases_recompute(partnership=world.partnership)
    assert entry.policy_change == change

    for role in sorted(SEES):
        page = read(get(client, world, role))
        [row] = [r for r in page.entries if r.key == str(entry.pk)]
        assert f"Release policy changed by {world.admin}: Holdback" in row.text
        if role == "admin":
            url = reverse("funding:releasepolicy-detail", args=[world.policy.pk])
            assert row.links == [f"{url}#change-{change.pk}"]
            assert client.get(url).status_code == 200
        else:
            assert row.links == [], role


def test_the_timeline_is_newest_first_with_signed_movements(client, world):
    defer_and_settle(world)
    world.start_review()
    world.accredit()
    releases_recompute(partnership=world.partnership)
    page = read(get(client, world, "reviewer"))
    entries = list(ReleaseEntry.objects.filter(allocation__partnership=world.partnership)
                   .order_by("-created_at", "-id"))
    assert [r.key for r in page.entries] == [str(e.pk) for e in entries]
    assert "Accredited by GO West Midlands" in page.entries[0].text
    assert "+£1,263,900.00" in page.entries[0].text


# --- Query budget ---------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _policy_changes(world, n: int) -> None:
    for i in range(n):
        release_policy_change(policy=world.policy, by=world.admin, reason=f"Change {i}",
                              fraction_deferred=Decimal("0.68") if i % 2 == 0 else Decimal("0.67"))
        releases_recompute(partnership=world.partnership)


@pytest.mark.parametrize("role", ["officer", "reviewer", "admin"])
def test_the_query_count_does_not_grow_with_the_ledger(client, world, role):
    defer_and_settle(world)
    _policy_changes(world, 2)
    client.force_login(world.users[role])
    url = page_url(world.partnership)
    client.get(url)  # the first request of a session saves it
    few = ReleaseEntry.objects.count()
    before = _queries(client, url)

    _policy_changes(world, 12)
    world.start_review()
    world.accredit()
    releases_recompute(partnership=world.partnership)
    assert ReleaseEntry.objects.count() >= few + 13
    after = _queries(client, url)

    assert after == before
    # Session, user and roles (3); the partnership; the timeline in one; allocations with their
    # sums, policies, overrides, states and the owed check (5); the session's save on every
    # request with its savepoint (3).
    assert after <= 13


# --- Where people find it -------------------------------------------------------------------------


def test_the_officers_home_the_review_page_and_the_nru_drill_down_link_to_it(client, world):
    funding = page_url(world.partnership)
    assessment = world.assessment()
    for role, page in (
        ("officer", reverse("accreditation:home")),
        ("chair", reverse("accreditation:home")),
        ("reviewer", reverse("review:assessment-detail", args=[assessment.pk])),
        ("analyst", reverse("reporting:partnership-show", args=[world.partnership.slug])),
    ):
        client.force_login(world.users[role])
        response = client.get(page)
        assert response.status_code == 200, role
        assert f'href="{funding}"' in response.content.decode(), role


@pytest.mark.parametrize(("role", "back"), [
    ("officer", "accreditation:home"),
    ("reviewer", "review:queue"),
    ("analyst", "reporting:partnership-show"),
])
def test_the_back_link_returns_to_where_the_viewer_came_from(client, world, role, back):
    url = reverse(back, args=[world.partnership.slug] if back.startswith("reporting") else [])
    content = get(client, world, role).content.decode()
    assert f'href="{url}" class="govuk-back-link"' in content
