"""Random histories: transitions, duplicated and reordered recomputes, policy changes and own
shares. After settling what is owed, every allocation's ledger total equals the rule applied to
the final state, computed here independently of the services."""

import contextlib
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
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


def apply(scenario, admin, op) -> None:
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
        with contextlib.suppress(ApplicationError):  # illegal from this state: nothing changes
            action()
    elif kind == "settle":
        requests = list(RecomputeRequest.objects.order_by("id"))
        if requests:
            recompute_request_settle(request_id=requests[op[1] % len(requests)].pk)
    elif kind == "recompute":
        releases_recompute(partnership=scenario.partnership)
    elif kind == "policy":
        undecided, deferred, accredited = sorted(op[1])
        with contextlib.suppress(ApplicationError):  # "nothing was changed"
            release_policy_change(policy=scenario.policy, by=admin, reason="random",
                                  fraction_accredited=accredited, fraction_deferred=deferred,
                                  fraction_undecided=undecided)
    elif kind == "own_share":
        with contextlib.suppress(ApplicationError):
            release_policy_change(policy=scenario.policy, by=admin, reason="random",
                                  overrides={scenario.partnership: op[1]})


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(amount=amounts, ops=st.lists(operations, max_size=25), settle_order=st.randoms())
def test_any_history_ends_with_every_ledger_total_on_the_rule(db, amount, ops, settle_order):
    with transaction.atomic():
        scenario = make_scenario(amount=amount, state="filled")
        admin = RoleAssignmentFactory(admin=True).user
        releases_recompute(partnership=scenario.partnership)  # as the allocation import does
        for op in ops:
            apply(scenario, admin, op)
        owed = list(RecomputeRequest.objects.filter(completed_at=None).values_list("pk", flat=True))
        settle_order.shuffle(owed)
        for request_id in owed + owed:  # each twice, in a random order
            recompute_request_settle(request_id=request_id)

        for allocation in Allocation.objects.select_related("fund", "year", "partnership"):
            assert ledger(allocation) == expected_target(allocation), allocation
            released = ledger(allocation)
            assert 0 <= released <= allocation.amount_pence
        assert not ReleaseEntry.objects.filter(amount_pence=0).exists()
        transaction.set_rollback(True)
