"""Random histories: transitions, duplicated and reordered recomputes, policy changes and own
shares. After settling what is owed, every allocation's ledger total equals the rule applied to
the final state, computed here independently of the services."""

from collections import Counter
from decimal import Decimal
from random import Random

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from accreditation.models import SelfAssessment
from accreditation.services.drafting import assessment_submit
from accreditation.services.review import assessment_return
from core.errors import ApplicationError
from funding.ledger import recompute_request_settle, releases_recompute
from funding.models import Allocation, RecomputeRequest, ReleaseEntry, ReleaseOverride, ReleasePolicy
from funding.policies import release_policy_change
from tests.factories import RoleAssignmentFactory

from .conftest import make_scenario

pytestmark = pytest.mark.django_db

fractions = st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n).scaleb(-4))
amounts = st.integers(min_value=0, max_value=10**12)

operations = st.one_of(
    st.tuples(st.just("transition"),
              st.sampled_from(["submit", "start_review", "accredit", "defer", "return"])),
    st.tuples(st.just("settle"), st.integers(min_value=0, max_value=50)),
    st.tuples(st.just("recompute")),
    st.tuples(st.just("policy"), st.lists(fractions, min_size=3, max_size=3)),
    st.tuples(st.just("own_share"), st.none() | fractions),
)


def expected_target(allocation: Allocation) -> int:
    """The rule, written out again from the stored state."""
    policy = ReleasePolicy.objects.filter(fund=allocation.fund, year=allocation.year).first()
    if policy is None:
        fraction = Decimal(1)
    else:
        override = ReleaseOverride.objects.filter(policy=policy,
                                                  partnership=allocation.partnership).first()
        if override:
            fraction = override.fraction
        elif policy.governing_cycle_id is None:
            fraction = Decimal(1)
        else:
            assessment = SelfAssessment.objects.filter(
                partnership=allocation.partnership, cycle=policy.governing_cycle).first()
            state = assessment.funding_state if assessment else "undecided"
            fraction = {"accredited": policy.fraction_accredited,
                        "deferred": policy.fraction_deferred,
                        "undecided": policy.fraction_undecided}[state]
    # floor(amount × fraction) in exact rational arithmetic
    return int(allocation.amount_pence * fraction // 1)


def ledger(allocation: Allocation) -> int:
    return ReleaseEntry.objects.filter(allocation=allocation).aggregate(
        t=Sum("amount_pence"))["t"] or 0


def _attempt(action) -> str:
    """Run `action`: "applied", or "refused" with nothing changed (illegal from this state, or
    a policy change that changes nothing)."""
    try:
        action()
    except ApplicationError:
        return "refused"
    return "applied"


def apply(scenario, admin, op) -> str:
    """Apply one operation; what happened to it, as counted by the test."""
    kind = op[0]
    if kind == "transition":
        assessment = scenario.assessment()
        action = {
            "submit": lambda: assessment_submit(
                assessment=assessment, by=admin),
            "start_review": lambda: scenario.start_review(assessment),
            "accredit": lambda: scenario.accredit(assessment),
            "defer": lambda: scenario.defer(assessment),
            "return": lambda: assessment_return(
                assessment=assessment, by=scenario.reviewer,
                reasons={assessment.cycle.requirements.first().pk: "More detail"}),
        }[op[1]]
        return f"{op[1]} {_attempt(action)}"
    if kind == "settle":
        requests = list(RecomputeRequest.objects.order_by("id"))
        if not requests:
            return "settle: nothing owed"
        recompute_request_settle(request_id=requests[op[1] % len(requests)].pk)
        return "settle applied"
    if kind == "recompute":
        releases_recompute(partnership=scenario.partnership)
        return "recompute applied"
    if kind == "policy":
        undecided, deferred, accredited = sorted(op[1])
        return "policy " + _attempt(lambda: release_policy_change(
            policy=scenario.policy, by=admin, reason="random", fraction_accredited=accredited,
            fraction_deferred=deferred, fraction_undecided=undecided))
    return "own share " + _attempt(lambda: release_policy_change(
        policy=scenario.policy, by=admin, reason="random", overrides={scenario.partnership: op[1]}))


# One whole history that reaches every state and every kind of change, tried whatever the
# random examples happen to be.
WHOLE_STORY = [("transition", "accredit"), ("transition", "submit"), ("transition", "start_review"),
               ("transition", "return"), ("transition", "submit"), ("transition", "start_review"),
               ("transition", "defer"), ("settle", 0),
               ("policy", [Decimal("0.2"), Decimal("0.5"), Decimal("0.9")]),
               ("transition", "start_review"), ("own_share", Decimal("0.25")), ("recompute",),
               ("transition", "accredit"), ("own_share", None)]


def test_any_history_ends_with_every_ledger_total_on_the_rule(db):
    happened = Counter()

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(amount=amounts, ops=st.lists(operations, max_size=25), settle_order=st.randoms())
    @example(amount=383_000_001, ops=WHOLE_STORY, settle_order=Random(2002))
    def history(amount, ops, settle_order):
        with transaction.atomic():
            scenario = make_scenario(amount=amount, state="filled")
            admin = RoleAssignmentFactory(admin=True).user
            releases_recompute(partnership=scenario.partnership)  # as the allocation import does
            for op in ops:
                outcome = apply(scenario, admin, op)
                happened[outcome] += 1
                event(outcome)
            owed = list(RecomputeRequest.objects.filter(completed_at=None)
                        .values_list("pk", flat=True))
            settle_order.shuffle(owed)
            for request_id in owed + owed:  # each twice, in a random order
                recompute_request_settle(request_id=request_id)
            happened["owed settled at the end"] += len(owed)

            allocations = list(Allocation.objects.select_related("fund", "year", "partnership"))
            assert allocations
            for allocation in allocations:
                assert ledger(allocation) == expected_target(allocation), allocation
                released = ledger(allocation)
                assert 0 <= released <= allocation.amount_pence
                happened["allocations checked"] += 1
            assert not ReleaseEntry.objects.filter(amount_pence=0).exists()
            transaction.set_rollback(True)

    history()
    # The histories really went through every state and every kind of change, and the services
    # refused what is illegal from a state (so the refusals were not all there was).
    for outcome in ("submit applied", "start_review applied", "defer applied",
                    "accredit applied", "return applied", "policy applied", "own share applied",
                    "settle applied", "recompute applied", "accredit refused"):
        assert happened[outcome] > 0, (outcome, happened)
    assert happened["owed settled at the end"] > 0 and happened["allocations checked"] > 40
