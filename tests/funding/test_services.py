"""The recompute, policy changes and reconciliation against the database."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from accreditation.models import AccreditationEvent, Status
from core.errors import ApplicationError
from funding import rules
from funding.ledger import (
    recompute_request_settle,
    releases_recompute,
    releases_recompute_many,
    releases_reconcile,
)
from funding.models import PolicyChange, RecomputeRequest, ReconcileRun, ReleaseEntry, ReleaseOverride
from funding.policies import release_policy_change
from tests.factories import (
    AllocationFactory,
    FinancialYearFactory,
    FundFactory,
    PartnershipFactory,
    ReleasePolicyFactory,
    RoleAssignmentFactory,
)

from .conftest import WALSALL_2002_PENCE, make_scenario

pytestmark = pytest.mark.django_db

SIXTY_SEVEN = 256_610_000  # floor(0.67 × £3,830,000.00), in pence


def released(allocation) -> int:
    return ReleaseEntry.objects.filter(allocation=allocation).aggregate(t=Sum("amount_pence"))["t"] or 0


def last_event(scenario, to_status) -> AccreditationEvent:
    return AccreditationEvent.objects.filter(
        assessment__partnership=scenario.partnership, to_status=to_status
    ).latest("at", "id")


def test_before_a_decision_nothing_of_the_governed_year_is_released(walsall):
    releases_recompute(partnership=walsall.partnership)
    assert released(walsall.nrf_2002) == 0
    assert released(walsall.nrf_2001) == walsall.nrf_2001.amount_pence


def test_deferring_walsall_releases_67_percent_rounded_down_and_holds_the_rest(walsall):
    walsall.defer()
    entries = releases_recompute(partnership=walsall.partnership)

    assert released(walsall.nrf_2002) == SIXTY_SEVEN
    assert WALSALL_2002_PENCE - released(walsall.nrf_2002) == 126_390_000
    entry = ReleaseEntry.objects.get(allocation=walsall.nrf_2002)
    assert entry in entries
    assert entry.cause == ReleaseEntry.Cause.EVENT
    assert entry.event == last_event(walsall, Status.DEFERRED)
    assert entry.request.cause_id == entry.event_id
    assert (entry.fraction, entry.funding_state) == (Decimal("0.67"), "deferred")
    assert (entry.target_pence, entry.allocation_pence) == (SIXTY_SEVEN, WALSALL_2002_PENCE)


def test_an_odd_amount_is_rounded_down_to_the_penny(db):
    scenario = make_scenario(name="Oddtown", amount=383_000_001)
    scenario.defer()
    releases_recompute(partnership=scenario.partnership)
    assert released(scenario.nrf_2002) == rules.target_released(383_000_001, Decimal("0.67"))
    assert released(scenario.nrf_2002) == 256_610_000


def test_the_first_release_of_an_ungoverned_year_is_the_initial_release(walsall):
    walsall.defer()
    releases_recompute(partnership=walsall.partnership)
    entry = ReleaseEntry.objects.get(allocation=walsall.nrf_2001)
    assert entry.cause == ReleaseEntry.Cause.INITIAL
    assert entry.event is None
    assert entry.funding_state == "ungoverned"


def test_a_deferred_partnership_under_review_again_keeps_its_67_percent(walsall):
    walsall.defer()
    releases_recompute(partnership=walsall.partnership)
    walsall.start_review()
    assert releases_recompute(partnership=walsall.partnership) == []
    assert released(walsall.nrf_2002) == SIXTY_SEVEN


def test_accrediting_after_review_releases_the_remainder_tied_to_the_accreditation(walsall):
    walsall.defer()
    releases_recompute(partnership=walsall.partnership)
    walsall.start_review()
    walsall.accredit()
    [entry] = releases_recompute(partnership=walsall.partnership)

    assert entry.amount_pence == WALSALL_2002_PENCE - SIXTY_SEVEN
    assert entry.event == last_event(walsall, Status.ACCREDITED)
    assert released(walsall.nrf_2002) == WALSALL_2002_PENCE


def test_every_owed_request_is_settled_by_the_recompute(walsall):
    walsall.defer()
    owed = RecomputeRequest.objects.filter(partnership=walsall.partnership, completed_at=None)
    assert owed.count() == 3  # submitted, review started, deferred: none settled yet
    releases_recompute(partnership=walsall.partnership)
    assert not owed.exists()


def test_running_twice_changes_nothing_the_second_time(walsall):
    walsall.defer()
    first = releases_recompute(partnership=walsall.partnership)
    assert len(first) == 2
    assert releases_recompute(partnership=walsall.partnership) == []
    assert ReleaseEntry.objects.count() == 2


def test_requests_settled_out_of_order_end_in_the_same_totals(walsall):
    walsall.defer()
    walsall.start_review()
    walsall.accredit()
    requests = list(RecomputeRequest.objects.filter(partnership=walsall.partnership)
                    .order_by("-requested_at", "-id"))
    # The oldest request is run last, after the newest has already settled everything.
    outcomes = [recompute_request_settle(request_id=r.pk) for r in reversed(requests)]
    assert outcomes[0] is not None
    assert all(o is None for o in outcomes[1:])
    assert released(walsall.nrf_2002) == WALSALL_2002_PENCE
    assert ReleaseEntry.objects.filter(allocation=walsall.nrf_2002).count() == 1
    # The single entry names the newest decision, the one it reflects.
    assert ReleaseEntry.objects.get(allocation=walsall.nrf_2002).event == last_event(
        walsall, Status.ACCREDITED)


def test_settling_a_request_counts_the_attempt_and_a_settled_one_is_left_alone(walsall):
    walsall.defer()
    request = RecomputeRequest.objects.filter(partnership=walsall.partnership).latest("id")
    recompute_request_settle(request_id=request.pk)
    request.refresh_from_db()
    assert request.completed_at is not None
    assert request.attempts == 1
    assert recompute_request_settle(request_id=request.pk) is None
    request.refresh_from_db()
    assert request.attempts == 1
    assert recompute_request_settle(request_id=999_999) is None


def test_a_request_recorded_after_the_recompute_read_the_state_stays_owed(walsall):
    """A recompute settles only the requests it saw before reading the state."""
    walsall.defer()
    releases_recompute(partnership=walsall.partnership)
    later = RecomputeRequest.objects.create(partnership=walsall.partnership,
                                            cause=RecomputeRequest.Cause.MANUAL)
    later.refresh_from_db()
    assert later.completed_at is None


# Lock, owed requests, policies, overrides, states, ledger, causes (events and policy changes),
# insert, settle; plus the savepoint pair inside a test's transaction.
RECOMPUTE_QUERY_BUDGET = 12


def test_recompute_query_count_does_not_grow_with_allocations(walsall,
                                                              django_assert_max_num_queries):
    walsall.defer()
    with django_assert_max_num_queries(RECOMPUTE_QUERY_BUDGET):
        releases_recompute(partnership=walsall.partnership)
    cef = FundFactory(code="CEF")
    for start in (2001, 2002, 2003, 2004):
        year = FinancialYearFactory(start_year=start)
        ReleasePolicyFactory(fund=cef, year=year, ungoverned=True)
        AllocationFactory(partnership=walsall.partnership, fund=cef, year=year,
                          amount_pence=1_000_00)
    walsall.start_review()
    walsall.accredit()
    with django_assert_max_num_queries(RECOMPUTE_QUERY_BUDGET):
        entries = releases_recompute(partnership=walsall.partnership)
    assert len(entries) == 5


def test_an_override_gives_a_named_partnership_its_own_share(walsall):
    walsall.defer()
    walsall.start_review()
    walsall.accredit()
    ReleaseOverride.objects.create(policy=walsall.policy, partnership=walsall.partnership,
                                   fraction=Decimal("0.9"), reason="10% withheld")
    releases_recompute(partnership=walsall.partnership)
    assert released(walsall.nrf_2002) == WALSALL_2002_PENCE * 9 // 10


def test_a_policy_without_a_governing_cycle_releases_everything(db):
    scenario = make_scenario(name="Ungoverned", state="draft")
    scenario.policy.governing_cycle = None
    scenario.policy.save()
    releases_recompute(partnership=scenario.partnership)
    assert released(scenario.nrf_2002) == scenario.nrf_2002.amount_pence


def test_a_partnership_without_an_assessment_is_undecided(db):
    partnership = PartnershipFactory()
    policy = ReleasePolicyFactory(fraction_undecided=Decimal("0.1"),
                                  fraction_deferred=Decimal("0.5"))
    allocation = AllocationFactory(partnership=partnership, fund=policy.fund, year=policy.year,
                                   amount_pence=1_000)
    [entry] = releases_recompute(partnership=partnership)
    assert (entry.amount_pence, entry.funding_state) == (100, "undecided")
    assert released(allocation) == 100


def test_a_partnership_without_allocations_only_settles_its_requests(db):
    partnership = PartnershipFactory()
    request = RecomputeRequest.objects.create(partnership=partnership,
                                              cause=RecomputeRequest.Cause.MANUAL)
    assert releases_recompute(partnership=partnership) == []
    request.refresh_from_db()
    assert request.completed_at is not None


def test_recompute_many_posts_each_partnership_like_one_at_a_time(db):
    a = make_scenario(name="Aston")
    b = make_scenario(name="Bilston")
    b.defer()
    entries = releases_recompute_many(partnership_ids=[b.partnership.pk, a.partnership.pk])
    assert {e.cause for e in entries} == {ReleaseEntry.Cause.MANUAL}
    assert released(a.nrf_2002) == 0
    assert released(b.nrf_2002) == SIXTY_SEVEN
    assert released(a.nrf_2001) == a.nrf_2001.amount_pence
    assert not RecomputeRequest.objects.filter(completed_at=None).exists()


# --- Policy changes ---------------------------------------------------------------------------


def test_a_policy_change_from_67_to_70_percent_adds_the_difference_tied_to_the_change(walsall):
    walsall.defer()
    releases_recompute(partnership=walsall.partnership)
    change = release_policy_change(policy=walsall.policy, by=walsall.admin,
                                   reason="Ministerial decision", fraction_deferred=Decimal("0.70"))
    request = RecomputeRequest.objects.get(cause=RecomputeRequest.Cause.POLICY_CHANGE)
    assert (request.partnership, request.cause_id) == (walsall.partnership, change.pk)

    [entry] = releases_recompute(partnership=walsall.partnership)
    assert entry.amount_pence == 268_100_000 - SIXTY_SEVEN
    assert entry.cause == ReleaseEntry.Cause.POLICY_CHANGE
    assert entry.policy_change == change
    assert change.before["fraction_deferred"] == "0.6700"
    assert change.after["fraction_deferred"] == "0.7000"
    assert (change.changed_by, change.reason) == (walsall.admin, "Ministerial decision")


def test_a_policy_change_owes_a_recompute_to_every_partnership_with_an_allocation(walsall):
    other = make_scenario(name="Sandwell")
    bystander = PartnershipFactory()  # no allocation under this policy
    change = release_policy_change(policy=walsall.policy, by=walsall.admin, reason="Budget",
                                   fraction_undecided=Decimal("0.1"))
    owed = set(RecomputeRequest.objects.filter(cause_id=change.pk, cause="policy_change")
               .values_list("partnership_id", flat=True))
    assert owed == {walsall.partnership.pk, other.partnership.pk}
    assert bystander.pk not in owed


def test_withholding_10_percent_from_a_named_partnership_moves_only_that_one(walsall):
    other = make_scenario(name="Sandwell")
    for s in (walsall, other):
        s.defer(s.assessment())
        s.start_review(s.assessment())
        s.accredit(s.assessment())
        releases_recompute(partnership=s.partnership)
    change = release_policy_change(policy=walsall.policy, by=walsall.admin,
                                   reason="No progress on areas of concern",
                                   overrides={walsall.partnership: Decimal("0.9")})
    assert set(RecomputeRequest.objects.filter(cause_id=change.pk, cause="policy_change")
               .values_list("partnership_id", flat=True)) == {walsall.partnership.pk}
    [entry] = releases_recompute(partnership=walsall.partnership)
    assert entry.amount_pence == -WALSALL_2002_PENCE // 10
    assert entry.policy_change == change
    assert change.after["overrides"] == {"walsall": "0.9000"}
    assert change.before["overrides"] == {}

    removal = release_policy_change(policy=walsall.policy, by=walsall.admin, reason="Shown now",
                                    overrides={walsall.partnership: None})
    assert not ReleaseOverride.objects.exists()
    assert removal.after["overrides"] == {}
    releases_recompute(partnership=walsall.partnership)
    assert released(walsall.nrf_2002) == WALSALL_2002_PENCE


@pytest.mark.parametrize("role", ["analyst", "reviewer", "officer"])
def test_only_an_nru_administrator_may_change_a_policy(walsall, role):
    user = RoleAssignmentFactory(**{role: True}).user
    with pytest.raises(ApplicationError, match="Only an NRU administrator"):
        release_policy_change(policy=walsall.policy, by=user, reason="x",
                              fraction_deferred=Decimal("0.7"))
    assert not PolicyChange.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fraction_deferred": Decimal("1.01")}, "between 0% and 100%"),
        ({"fraction_deferred": Decimal("-0.01")}, "between 0% and 100%"),
        ({"fraction_deferred": Decimal("0.67005")}, "at most two decimal places"),
        ({"fraction_deferred": 0.7}, "exact number"),
        ({"fraction_accredited": Decimal("0.5")}, "cannot be released more than an accredited"),
        ({"fraction_undecided": Decimal("0.8")}, "without a decision cannot be released more"),
        ({"fraction_deferred": Decimal("0.67")}, "Nothing was changed"),
        ({}, "Nothing was changed"),
    ],
)
def test_a_policy_change_is_validated(walsall, kwargs, message):
    with pytest.raises(ApplicationError, match=message):
        release_policy_change(policy=walsall.policy, by=walsall.admin, reason="Because", **kwargs)
    walsall.policy.refresh_from_db()
    assert walsall.policy.fraction_deferred == Decimal("0.67")
    assert not PolicyChange.objects.exists()
    assert not RecomputeRequest.objects.filter(cause="policy_change").exists()


def test_a_policy_change_needs_a_reason(walsall):
    with pytest.raises(ApplicationError, match="reason"):
        release_policy_change(policy=walsall.policy, by=walsall.admin, reason="  ",
                              fraction_deferred=Decimal("0.7"))


def test_an_own_share_needs_an_allocation_under_the_policy(walsall):
    stranger = PartnershipFactory()
    with pytest.raises(ApplicationError, match="has no NRF allocation for 2002/03"):
        release_policy_change(policy=walsall.policy, by=walsall.admin, reason="x",
                              overrides={stranger: Decimal("0.9")})


def test_an_entry_names_the_cause_that_concerns_its_allocation(walsall):
    """A CEF policy change owed beside a deferral does not take the credit for NRF money."""
    cef = FundFactory(code="CEF")
    y2002 = walsall.nrf_2002.year
    cef_policy = ReleasePolicyFactory(fund=cef, year=y2002, governing_cycle=None)
    AllocationFactory(partnership=walsall.partnership, fund=cef, year=y2002, amount_pence=5_000)
    releases_recompute(partnership=walsall.partnership)
    walsall.defer()
    change = release_policy_change(policy=cef_policy, by=walsall.admin, reason="CEF trim",
                                   overrides={walsall.partnership: Decimal("0.5")})
    entries = {e.allocation.fund.code: e for e in releases_recompute(partnership=walsall.partnership)}
    assert entries["NRF"].event == last_event(walsall, Status.DEFERRED)
    assert entries["CEF"].policy_change == change
    assert entries["CEF"].amount_pence == -2_500


# --- Reconcile --------------------------------------------------------------------------------


def _insert_bogus_entry(allocation, amount: int) -> None:
    """Drift, as a stray write from outside the services would make it: a copy of the
    allocation's latest entry with another amount, or a bare row when there is none."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO funding_releaseentry (allocation_id, amount_pence, target_pence, "
            "allocation_pence, fraction, funding_state, cause, note, created_at, effective_on) "
            "SELECT %s, %s, COALESCE(MAX(target_pence), 0), COALESCE(MAX(allocation_pence), 0), "
            "COALESCE(MAX(fraction), 0), COALESCE(MAX(funding_state), ''), 'manual', 'bogus', %s, "
            "%s FROM funding_releaseentry WHERE id = (SELECT MAX(id) FROM funding_releaseentry "
            "WHERE allocation_id = %s)",
            [allocation.pk, amount, timezone.now(), timezone.localdate(), allocation.pk],
        )


def test_reconcile_finds_no_drift_in_a_ledger_that_follows_the_rule(walsall):
    walsall.defer()
    releases_recompute(partnership=walsall.partnership)
    run = releases_reconcile()
    assert (run.allocations_checked, run.drift_count, run.drift) == (2, 0, [])
    assert run.finished_at is not None


def test_reconcile_reports_drift_and_repairs_only_when_asked(walsall):
    walsall.defer()
    releases_recompute(partnership=walsall.partnership)
    _insert_bogus_entry(walsall.nrf_2002, 12_345)

    run = releases_reconcile()
    assert run.drift_count == 1
    [report] = run.drift
    assert report["partnership"] == "walsall"
    assert report["recompute_owed"] is False
    assert report["allocations"] == [{
        "allocation_id": walsall.nrf_2002.pk, "fund": "NRF", "year": "2002/03",
        "ledger_pence": SIXTY_SEVEN + 12_345, "target_pence": SIXTY_SEVEN, "drift_pence": 12_345,
    }]
    assert not run.repaired
    assert released(walsall.nrf_2002) == SIXTY_SEVEN + 12_345

    repair = releases_reconcile(repair=True)
    assert repair.repaired
    entry = ReleaseEntry.objects.get(reconcile_run=repair)
    assert (entry.cause, entry.amount_pence) == (ReleaseEntry.Cause.REPAIR, -12_345)
    assert released(walsall.nrf_2002) == SIXTY_SEVEN
    assert releases_reconcile().drift_count == 0


def test_reconcile_leaves_an_owed_recompute_to_the_outbox(walsall):
    releases_recompute(partnership=walsall.partnership)
    walsall.defer()  # owed, not yet run
    run = releases_reconcile(repair=True)
    assert run.drift_count == 0
    assert [d["recompute_owed"] for d in run.drift] == [True]
    assert not ReleaseEntry.objects.filter(reconcile_run=run).exists()
    assert not run.repaired


def test_reconcile_runs_are_recorded(walsall):
    releases_reconcile(requested_by="tester")
    assert ReconcileRun.objects.get().requested_by == "tester"


def test_requests_are_owed_then_older_than_a_minute_are_requeued(walsall, eager_tasks):
    from funding.outbox import recomputes_requeue_owed

    walsall.defer()
    owed = RecomputeRequest.objects.filter(partnership=walsall.partnership, completed_at=None)
    assert recomputes_requeue_owed() == 0  # all just requested
    owed.update(requested_at=timezone.now() - timedelta(minutes=2))
    assert recomputes_requeue_owed() == 1  # one message for the partnership settles them all
    assert not owed.exists()
    assert released(walsall.nrf_2002) == SIXTY_SEVEN


def test_a_decision_committed_after_the_settled_request_is_still_named(walsall):
    """A worker settling 'review started' may read a state an accreditation has just changed,
    before that accreditation's own request is visible to it: the money is still put down to
    the accreditation, and the entry records which request's run posted it."""
    walsall.defer()
    releases_recompute(partnership=walsall.partnership)
    walsall.start_review()
    review_request = RecomputeRequest.objects.filter(completed_at=None).get()
    walsall.accredit()
    # Not yet visible to the worker: as if its transaction committed a moment later.
    RecomputeRequest.objects.filter(completed_at=None).exclude(pk=review_request.pk).update(
        completed_at=timezone.now())
    [entry] = recompute_request_settle(request_id=review_request.pk)
    assert entry.event == last_event(walsall, Status.ACCREDITED)
    assert entry.request_id == review_request.pk


def test_a_changed_allocation_is_an_allocation_change(walsall):
    walsall.defer()
    releases_recompute(partnership=walsall.partnership)
    from funding.models import Allocation

    Allocation.objects.filter(pk=walsall.nrf_2002.pk).update(amount_pence=400_000_000)
    [entry] = releases_recompute(partnership=walsall.partnership)
    assert entry.cause == ReleaseEntry.Cause.ALLOCATION_CHANGE
    assert (entry.amount_pence, entry.allocation_pence) == (268_000_000 - SIXTY_SEVEN, 400_000_000)


def test_an_unexplained_difference_is_put_down_to_the_run(walsall):
    walsall.defer()
    releases_recompute(partnership=walsall.partnership)
    _insert_bogus_entry(walsall.nrf_2002, 99)
    [entry] = releases_recompute(partnership=walsall.partnership)
    assert (entry.cause, entry.amount_pence) == (ReleaseEntry.Cause.MANUAL, -99)
