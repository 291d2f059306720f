"""The dashboard's regional aggregates are cached per process and keyed on the figures version,
which PostgreSQL triggers move when a transaction that changed the figures commits (ADR 0011).

These tests commit for real (transactional database): a cached figure must never outlive the
change that made it wrong, whatever wrote it (a service, the admin, raw SQL), and a rolled-back
or irrelevant write must not cost a recomputation.
"""

import re
import threading
from datetime import date

import pytest
from django.core.cache import caches
from django.db import connection, connections, transaction
from django.urls import reverse

from accreditation.models import SelfAssessment
from accreditation.services.decisions import assessment_accredit
from accreditation.services.review import assessment_start_review
from funding.models import Allocation, FiguresVersion
from reporting import dashboard, figures_cache
from tests.factories import FinancialYearFactory, FundFactory, RoleAssignmentFactory

from .dashboard_world import build_world

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("require_postgresql")]

DASHBOARD = reverse("reporting:dashboard-show")


@pytest.fixture
def world():
    caches["figures"].clear()
    world = build_world()
    world["analyst"] = RoleAssignmentFactory(analyst=True).user
    return world


def _version() -> int:
    return FiguresVersion.objects.get(pk=1).version


def _headline(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    return response.context["headline"]


def _sandwell(world) -> SelfAssessment:
    return SelfAssessment.objects.get(partnership=world["partnerships"]["Sandwell"],
                                      cycle=world["cycle"])


def test_a_committed_decision_shows_at_once(client, world, django_assert_max_num_queries):
    """Cached page, then a decision through the real service (its recompute runs on commit):
    the next page has the new counts and money, and the one after is served from the cache."""
    client.force_login(world["analyst"])
    before = _headline(client)
    with django_assert_max_num_queries(6):  # session, user, roles, version, reconcile, owed
        assert _headline(client) == before

    reviewer = RoleAssignmentFactory(reviewer=True, region=world["regions"]["west-midlands"]).user
    assessment_accredit(assessment=_sandwell(world), by=reviewer)

    after = _headline(client)
    assert after.accredited == before.accredited + 1
    assert after.undecided == before.undecided - 1
    assert after.released_pence == before.released_pence + 700_000_000  # all of Sandwell's
    assert after.held_pence == before.held_pence - 700_000_000
    with django_assert_max_num_queries(13):
        assert _headline(client) == after


WALSALL_PENCE = 612_345_679
WALSALL_RELEASED = 410_271_604  # deferred: 67% of it, in whole pence as the rule rounds


@pytest.mark.parametrize("sql, changes", [
    ("UPDATE funding_allocation SET amount_pence = amount_pence + 100 WHERE id = %(allocation)s",
     {"west-midlands": {"anticipated_pence": 100}}),
    ("UPDATE partnerships_localauthority SET region_id = %(north_east)s WHERE id = %(authority)s",
     {"west-midlands": {"anticipated_pence": -WALSALL_PENCE, "released_pence": -WALSALL_RELEASED,
                        "partnership_count": -1, "deferred": -1},
      "north-east": {"anticipated_pence": WALSALL_PENCE, "released_pence": WALSALL_RELEASED,
                     "partnership_count": 1, "deferred": 1}}),
    ("UPDATE accreditation_selfassessment SET funding_state = 'accredited' "
     "WHERE id = %(sandwell)s",
     {"west-midlands": {"accredited": 1, "undecided": -1}}),
    ("INSERT INTO funding_releaseentry (allocation_id, amount_pence, target_pence, "
     "allocation_pence, fraction, funding_state, cause, note, created_at, effective_on) "
     "SELECT id, 5, 5, amount_pence, 0, 'undecided', 'manual', '', now(), current_date "
     "FROM funding_allocation "
     "WHERE id = %(allocation)s",
     {"west-midlands": {"released_pence": 5}}),
], ids=["allocation-amount", "authority-moves-region", "funding-state", "ledger-entry"])
def test_any_writer_moves_the_version(world, sql, changes):
    """Not only the services: raw SQL (or the admin, or a shell) moves the version too, and the
    next read has the change; the other figures are as they were."""
    walsall = world["partnerships"]["Walsall"]
    allocation = Allocation.objects.get(partnership=walsall, year=world["year"])
    before = _version()
    cached = {r.slug: r for r in dashboard.dashboard_regions(world["scope"])}
    with connection.cursor() as cursor:
        cursor.execute(sql, {"allocation": allocation.pk, "authority": walsall.local_authority_id,
                             "north_east": world["regions"]["north-east"].pk,
                             "sandwell": _sandwell(world).pk})
    assert _version() != before
    fresh = {r.slug: r for r in dashboard.dashboard_regions(world["scope"])}
    figures = ("anticipated_pence", "released_pence", "partnership_count", "accredited",
               "deferred", "undecided")
    for slug, region in fresh.items():
        for figure in figures:
            expected = getattr(cached[slug], figure) + changes.get(slug, {}).get(figure, 0)
            assert getattr(region, figure) == expected, (slug, figure)


def test_an_autosave_or_a_rollback_does_not_move_it(world):
    """An officer's draft text is not a figure; a transaction that rolls back changed nothing."""
    before = _version()
    SelfAssessment.objects.filter(pk=_sandwell(world).pk).update(inclusiveness_note="Faith groups")
    assert _version() == before

    with transaction.atomic():
        Allocation.objects.filter(partnership=world["partnerships"]["Walsall"]).update(
            amount_pence=1)
        transaction.set_rollback(True)
    assert _version() == before


def test_the_version_moves_when_the_writer_commits_not_before(world):
    """Another connection sees the old version while the write is uncommitted, a new one once it
    commits, and one transaction moves it once however many rows it writes."""
    before = _version()
    written, release = threading.Event(), threading.Event()
    seen = {}

    def writer():
        try:
            with transaction.atomic():
                for allocation in Allocation.objects.filter(year=world["year"]):
                    allocation.amount_pence += 1
                    allocation.save(update_fields=["amount_pence"])
                written.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    assert written.wait(10)
    seen["during"] = _version()
    release.set()
    thread.join(10)
    seen["after"] = _version()
    assert seen["during"] == before
    assert seen["after"] != before
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM funding_figures_version_seq")
        assert cursor.fetchone()[0] == seen["after"]  # one number for the whole transaction


def test_inside_a_transaction_the_cache_is_not_used(world):
    """A transaction's own writes move the version only at commit, so inside one the figures
    are always computed afresh."""
    scope = world["scope"]
    dashboard.dashboard_regions(scope)  # cached
    with transaction.atomic():
        Allocation.objects.filter(partnership=world["partnerships"]["Walsall"],
                                  year=world["year"]).update(amount_pence=1)
        assert figures_cache.figures_version() is None
        west = next(r for r in dashboard.dashboard_regions(scope) if r.slug == "west-midlands")
        assert west.anticipated_pence == 1 + 700_000_000 + 500_000_000
        transaction.set_rollback(True)


@pytest.mark.parametrize("sql, unannounced", [
    ("UPDATE accreditation_selfassessment SET review_date = '2002-04-30' "
     "WHERE partnership_id = %(walsall)s", "30 April 2002"),
    ("UPDATE partnerships_localauthority SET name = 'Walsall Metropolitan Borough' "
     "WHERE id = %(authority)s", "Walsall Metropolitan Borough"),
    ("UPDATE core_source SET key = 'HL-2003-WA' WHERE key = 'HL2003'", "HL-2003-WA"),
    ("UPDATE accreditation_cycle SET announcement_date = '2002-03-01'", "1 March 2002"),
    ("UPDATE funding_allocation SET amount_pence = 1 WHERE partnership_id = %(walsall)s", "£0.01"),
], ids=["review-date", "authority-name", "source-key", "announcement-date", "allocation"])
def test_the_announced_record_follows_no_change(client, world, sql, unannounced,
                                                django_assert_max_num_queries):
    """What was announced is rendered from the announcement's record alone: a change to what it
    was taken from moves the figures version, and the page made afresh is the same record,
    word for word; a cached page never shows it rewritten either."""
    listing = reverse("reporting_public:decisions-list")

    def page() -> str:
        return re.sub(r'nonce="[^"]*"', "", client.get(listing).content.decode())

    before = page()  # the first read takes the announcement
    assert page() == before
    with django_assert_max_num_queries(2):  # the announced cycles and the version
        assert page() == before

    walsall = world["partnerships"]["Walsall"]
    version = _version()
    with connection.cursor() as cursor:
        cursor.execute(sql, {"walsall": walsall.pk, "authority": walsall.local_authority_id})
    assert _version() != version

    after = page()
    assert unannounced not in after
    assert after == before


def test_the_updates_beneath_it_follow_every_change(client, world, django_assert_max_num_queries):
    """A decision since the announcement shows beneath it at the next read, and so does any
    later change to it (its date, by raw SQL); the announcement above stays as it was."""
    listing = reverse("reporting_public:decisions-list")

    def page() -> str:
        return re.sub(r'nonce="[^"]*"', "", client.get(listing).content.decode())

    before = page()
    announced = before[before.index('id="cycle-2002"'):before.index("Figures marked illustrative")]
    assert "Decisions since the announcement" not in before

    reviewer = RoleAssignmentFactory(reviewer=True, region=world["regions"]["west-midlands"]).user
    walsall = SelfAssessment.objects.get(partnership=world["partnerships"]["Walsall"],
                                         cycle=world["cycle"])
    walsall = assessment_start_review(assessment=walsall, by=reviewer, today=date(2002, 3, 28))
    assessment_accredit(assessment=walsall, by=reviewer, on=date(2002, 3, 28))
    after = page()
    assert announced in after
    assert "28 March 2002</time>: Walsall LSP accredited following review" in after
    with django_assert_max_num_queries(2):
        assert page() == after

    with connection.cursor() as cursor:
        cursor.execute("UPDATE accreditation_decision SET decided_on = '2002-03-29' "
                       "WHERE assessment_id = %s AND outcome = 'accredited'", [walsall.pk])
    corrected = page()
    assert announced in corrected
    assert "29 March 2002</time>: Walsall LSP accredited following review" in corrected


def test_the_partnership_table_follows_every_change(client, world, django_assert_max_num_queries):
    """The table's page and its filtered count are cached with the figures: a ledger entry or a
    funding state written by anyone shows on the next page."""
    client.force_login(world["analyst"])
    walsall = world["partnerships"]["Walsall"]
    deferred_in_west = {"region": "west-midlands", "status": "deferred"}

    def table():
        response = client.get(DASHBOARD, deferred_in_west)
        return response.context["headline"].matching, {
            row["slug"]: row["released_pence"] for row in response.context["rows"]}

    assert table() == (1, {"walsall": WALSALL_RELEASED})
    with django_assert_max_num_queries(6):
        assert table() == (1, {"walsall": WALSALL_RELEASED})

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO funding_releaseentry (allocation_id, amount_pence, target_pence, "
            "allocation_pence, fraction, funding_state, cause, note, created_at, effective_on) "
            "SELECT id, 5, 5, amount_pence, 0, 'deferred', 'manual', '', now(), current_date "
            "FROM funding_allocation WHERE partnership_id = %s AND year_id = %s",
            [walsall.pk, world["year"].pk])
    assert table() == (1, {"walsall": WALSALL_RELEASED + 5})

    with connection.cursor() as cursor:
        cursor.execute("UPDATE accreditation_selfassessment SET funding_state = 'deferred' "
                       "WHERE id = %s", [_sandwell(world).pk])
    assert table() == (2, {"walsall": WALSALL_RELEASED + 5, "sandwell": 0})


@pytest.mark.parametrize("table", ["published total", "regional budget"])
def test_a_published_total_or_a_budget_written_anyhow_is_offered_at_once(world, table):
    """The offered fund-years, the published total and the regional budgets are cached with the
    figures (reporting/dashboard_choices.py): a total or budget written by raw SQL (or the admin,
    or the reference data) moves the version, so the next read has it (funding 0011)."""
    from funding.models import PublishedTotal, RegionalBudget
    from reporting import dashboard_choices

    y2003 = FinancialYearFactory(start_year=2003)
    cef = FundFactory(code="CEF")
    before_choices = dashboard_choices.fund_year_choices()
    assert dashboard_choices.chosen("NRF", "2002/03").published_total_pence is None
    assert cef.pk not in {f.pk for f in before_choices.funds}
    before = _version()
    with connection.cursor() as cursor:
        if table == "published total":
            cursor.execute("INSERT INTO funding_publishedtotal (fund_id, year_id, amount_pence) "
                           "VALUES (%s, %s, 30000000000)", [world["nrf"].pk, world["year"].pk])
        else:
            cursor.execute("INSERT INTO funding_regionalbudget (region_id, fund_id, year_id, "
                           "amount_pence, provenance) VALUES (%s, %s, %s, 123400, 'published')",
                           [world["regions"]["north-east"].pk, cef.pk, y2003.pk])
    assert _version() != before
    if table == "published total":
        assert PublishedTotal.objects.count() == 1
        assert dashboard_choices.chosen("NRF", "2002/03").published_total_pence == 30_000_000_000
    else:
        assert RegionalBudget.objects.count() == 1
        chosen = dashboard_choices.chosen("CEF", "2003/04")
        assert (chosen.fund, chosen.year, chosen.budgets_only) == (cef, y2003, True)
