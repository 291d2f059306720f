"""The dashboard's figures come from database aggregates and equal sums taken independently."""

import datetime as dt
from decimal import Decimal

import pytest

from core.models import Provenance
from funding.ledger import releases_recompute
from funding.models import Allocation, RecomputeRequest, ReconcileRun, ReleaseEntry
from reporting import dashboard
from tests.factories import (
    AllocationFactory,
    CycleFactory,
    FinancialYearFactory,
    RegionFactory,
    ReleasePolicyFactory,
    RoleAssignmentFactory,
    SelfAssessmentFactory,
)

from .dashboard_world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def _headline(scope, filters=None):
    regions = dashboard.dashboard_regions(scope)
    return dashboard.dashboard_headline(scope, regions=regions,
                                        filters=filters or dashboard.TableFilters())


def _independent_totals(scope):
    allocations = list(Allocation.objects.filter(fund=scope.fund, year=scope.year))
    released = {a.pk: 0 for a in allocations}
    for entry in ReleaseEntry.objects.filter(allocation__in=allocations):
        released[entry.allocation_id] += entry.amount_pence
    anticipated = sum(a.amount_pence for a in allocations)
    return anticipated, sum(released.values())


def test_scope_uses_the_governing_cycle(world):
    scope = world["scope"]
    assert scope.cycle == world["cycle"]
    assert scope.cycle_governs is True


def test_headline_equals_independent_sums(world):
    scope = world["scope"]
    headline = _headline(scope)
    anticipated, released = _independent_totals(scope)
    assert headline.anticipated_pence == anticipated == 2_562_345_680
    assert headline.released_pence == released
    assert headline.held_pence == anticipated - released
    # accredited in full, deferred at 67% rounded down, the rest nothing
    assert released == 300_000_001 + 450_000_000 + 612_345_679 * 67 // 100
    assert (headline.accredited, headline.deferred, headline.undecided) == (2, 1, 2)
    assert headline.partnerships == headline.matching == 5
    assert headline.published_pence == 800_000_001
    assert headline.derived_pence == 450_000_000
    assert headline.illustrative_pence == 1_312_345_679
    for value in (headline.anticipated_pence, headline.released_pence, headline.held_pence):
        assert type(value) is int


def test_headline_counts_rows_matching_filters(world):
    filters = dashboard.TableFilters(region="west-midlands", status="undecided")
    headline = _headline(world["scope"], filters)
    assert headline.matching == 2
    assert headline.partnerships == 5


def test_regions_equal_independent_sums(world):
    regions = {r.slug: r for r in dashboard.dashboard_regions(world["scope"])}
    west = regions["west-midlands"]
    assert west.anticipated_pence == 612_345_679 + 700_000_000 + 500_000_000
    assert west.released_pence == 612_345_679 * 67 // 100
    assert west.held_pence == west.anticipated_pence - west.released_pence
    assert (west.partnership_count, west.accredited, west.deferred, west.undecided) == (3, 0, 1, 2)
    assert west.illustrative_pence == 1_312_345_679
    north = regions["north-east"]
    assert north.released_pence == north.anticipated_pence == 750_000_001
    assert (north.accredited, north.deferred, north.undecided) == (2, 0, 0)
    assert sum(r.anticipated_pence for r in regions.values()) == _independent_totals(world["scope"])[0]


def test_region_without_partnerships_shows_zeroes(world):
    RegionFactory(name="London", slug="london")
    (london,) = [r for r in dashboard.dashboard_regions(world["scope"]) if r.slug == "london"]
    assert (london.anticipated_pence, london.released_pence, london.held_pence) == (0, 0, 0)
    assert london.partnership_count == 0


def test_table_row_of_deferred_partnership(world):
    rows = dashboard.dashboard_table(world["scope"], filters=dashboard.TableFilters(status="deferred"),
                                     sort="authority", descending=False)
    (walsall,) = rows
    assert walsall.partnership.local_authority.name == "Walsall"
    assert walsall.status == "deferred"
    assert walsall.released_pence == 612_345_679 * 67 // 100
    assert walsall.held_pence == 612_345_679 - 612_345_679 * 67 // 100


@pytest.mark.parametrize(("sort", "descending", "first"), [
    ("authority", False, "Gateshead"),
    ("authority", True, "Wolverhampton"),
    ("anticipated", True, "Sandwell"),
    ("released", True, "Sunderland"),
    ("released", False, "Sandwell"),
    ("held", True, "Sandwell"),
    ("held", False, "Gateshead"),
    ("status", False, "Gateshead"),
    ("provenance", False, "Sunderland"),
    ("region", True, "Sandwell"),
    ("no-such-column", False, "Gateshead"),
])
def test_table_sorts_by_whitelisted_columns(world, sort, descending, first):
    rows = dashboard.dashboard_table(world["scope"], filters=dashboard.TableFilters(), sort=sort,
                                     descending=descending)
    assert rows[0].partnership.local_authority.name == first


def test_filters_combine(world):
    rows = dashboard.dashboard_table(
        world["scope"],
        filters=dashboard.TableFilters(region="west-midlands", provenance=Provenance.PUBLISHED),
        sort="authority", descending=False,
    )
    assert [r.partnership.local_authority.name for r in rows] == ["Wolverhampton"]


def test_ungoverned_year_shows_status_of_its_cycle_but_releases_all(world):
    nrf = world["scope"].fund
    year = FinancialYearFactory(start_year=2003)
    cycle = CycleFactory(year_start=2003)
    ReleasePolicyFactory(fund=nrf, year=year, governing_cycle=None)
    walsall = world["partnerships"]["Walsall"]
    AllocationFactory(partnership=walsall, fund=nrf, year=year, amount_pence=816_000_000)
    releases_recompute(partnership=walsall)
    scope = dashboard.dashboard_scope(fund=nrf, year=year)
    assert scope.cycle == cycle
    assert scope.cycle_governs is False
    headline = _headline(scope)
    assert headline.released_pence == headline.anticipated_pence == 816_000_000
    assert headline.undecided == 1


def test_year_without_any_cycle_has_no_status(world):
    scope = dashboard.dashboard_scope(fund=world["nrf"], year=world["y2001"])
    assert scope.cycle is None
    rows = dashboard.dashboard_table(scope, filters=dashboard.TableFilters(), sort="status",
                                     descending=False)
    assert {row.status for row in rows} == {dashboard.NO_CYCLE}
    regions = {r.slug: r for r in dashboard.dashboard_regions(scope)}
    assert regions["west-midlands"].undecided == 3
    headline = _headline(scope)
    assert headline.released_pence == headline.anticipated_pence  # ungoverned: all released


def test_reconcile_state_reports_last_run_and_owed(world):
    walsall = world["partnerships"]["Walsall"]
    RecomputeRequest.objects.create(partnership=walsall, cause=RecomputeRequest.Cause.MANUAL)
    ReconcileRun.objects.create(started_at=dt.datetime(2002, 3, 1, tzinfo=dt.UTC), drift_count=0)
    latest = ReconcileRun.objects.create(drift_count=2)
    state = dashboard.reconcile_state()
    assert state.last_run == latest
    assert state.owed_recomputes == RecomputeRequest.objects.filter(completed_at__isnull=True).count()
    assert state.owed_recomputes >= 1


def test_partnership_assessments_newest_cycle_first(world):
    walsall = world["partnerships"]["Walsall"]
    analyst = RoleAssignmentFactory(analyst=True).user
    SelfAssessmentFactory(partnership=walsall, cycle=CycleFactory(year_start=2003), submitted=True)
    assessments = list(dashboard.partnership_assessments(walsall, user=analyst))
    assert [a.cycle.year_start for a in assessments] == [2003, 2002]
    assert assessments[1].funding_state == "deferred"


def test_partnership_assessments_leave_out_a_draft_never_submitted(world):
    """NRU staff read a self-assessment once it has been submitted, as reviewers do."""
    walsall = world["partnerships"]["Walsall"]
    SelfAssessmentFactory(partnership=walsall, cycle=CycleFactory(year_start=2003), filled=True)
    analyst = RoleAssignmentFactory(analyst=True).user
    assert [a.cycle.year_start for a in dashboard.partnership_assessments(walsall, user=analyst)] \
        == [2002]


def test_policy_fraction_is_data_not_code(world):
    policy = world["policy"]
    policy.fraction_deferred = Decimal("0.7000")
    policy.save()
    releases_recompute(partnership=world["partnerships"]["Walsall"])
    headline = _headline(world["scope"])
    assert headline.released_pence == 750_000_001 + 612_345_679 * 70 // 100
