"""Random sequences of dated decisions (accredit, defer, a deferred partnership accredited or
deferred again on review) on a few partnerships, recorded after the fact on the service's
today: for every day of the period, the position as at that day (the funding selector, and the
dashboard's regional figures and statuses) equals

- an independent sum of the ledger entries effective on or before the day, and
- the rule applied to the decision in force at the end of the day, worked out here from the
  sequence itself.

The number of examples in which decisions applied is counted, so that a generator that stopped
producing decisions could not pass unnoticed.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accreditation.models import SelfAssessment
from accreditation.services.decisions import Concern, assessment_accredit, assessment_defer
from accreditation.services.review import assessment_start_review
from core import clock
from core.errors import ApplicationError
from funding.ledger import recompute_request_settle
from funding.models import Allocation, RecomputeRequest, ReleaseEntry
from funding.selectors import allocation_figures
from reporting import dashboard
from tests.factories import (
    AllocationFactory,
    CycleFactory,
    FinancialYearFactory,
    FundFactory,
    LocalAuthorityFactory,
    PartnershipFactory,
    RegionFactory,
    ReleasePolicyFactory,
    RoleAssignmentFactory,
    SelfAssessmentFactory,
)
from tests.row_snapshot import restored

pytestmark = pytest.mark.django_db

START = dt.date(2002, 2, 1)  # the first decision may be dated this day
RECORDED = dt.date(2002, 4, 30)  # every decision is recorded on this day (the clock's today)
PARTNERSHIPS = 3
FRACTIONS = {"accredited": Decimal(1), "deferred": Decimal("0.67"), "undecided": Decimal(0)}

decisions = st.lists(
    st.tuples(st.integers(min_value=0, max_value=PARTNERSHIPS - 1),
              st.sampled_from(["accredit", "defer", "defer"]),  # an accreditation is final
              st.integers(min_value=0, max_value=9)),  # days after the previous decision
    min_size=2, max_size=8,
)
amounts = st.lists(st.integers(min_value=0, max_value=10**11), min_size=PARTNERSHIPS,
                   max_size=PARTNERSHIPS)


def _noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def _world(amounts: list[int]) -> dict:
    """The partnerships under review, their allocations of `amounts` (nothing settled yet): the
    rest is the same in every example, so it is built once and restored (tests/row_snapshot.py)
    and the amounts written into it."""
    world = restored(_world_of_nothing)  # every allocation 0
    for allocation, amount in zip(world["allocations"], amounts, strict=True):
        Allocation.objects.filter(pk=allocation.pk).update(amount_pence=amount)
        allocation.amount_pence = amount
    return world


def _world_of_nothing() -> dict:
    region = RegionFactory(name="West Midlands", slug="west-midlands")
    nrf, year = FundFactory(code="NRF"), FinancialYearFactory(start_year=2002)
    cycle = CycleFactory(year_start=2002)
    ReleasePolicyFactory(fund=nrf, year=year, governing_cycle=cycle,
                         fraction_accredited=FRACTIONS["accredited"],
                         fraction_deferred=FRACTIONS["deferred"],
                         fraction_undecided=FRACTIONS["undecided"])
    reviewer = RoleAssignmentFactory(reviewer=True, region=region).user
    allocations = []
    with clock.held_at(_noon(dt.date(2002, 1, 20))):
        for n in range(PARTNERSHIPS):
            partnership = PartnershipFactory(local_authority=LocalAuthorityFactory(
                name=f"Area {n}", slug=f"area-{n}", region=region))
            allocations.append(AllocationFactory(partnership=partnership, fund=nrf, year=year,
                                                 amount_pence=0))
            SelfAssessmentFactory(partnership=partnership, cycle=cycle, state="under_review",
                                  reviewer_user=reviewer)
    scope = dashboard.dashboard_scope(fund=nrf, year=year)
    return {"allocations": allocations, "reviewer": reviewer, "cycle": cycle, "scope": scope}


def _settle() -> None:
    """As the worker does, straight after each decision."""
    for request_id in RecomputeRequest.objects.filter(completed_at__isnull=True).values_list(
            "pk", flat=True):
        recompute_request_settle(request_id=request_id)


def _decide(world, index: int, outcome: str, day: dt.date) -> bool:
    """Record the decision dated `day` if the assessment's state allows one (starting the
    review again first for a deferred one); whether it was recorded."""
    allocation = world["allocations"][index]
    assessment = SelfAssessment.objects.get(partnership=allocation.partnership_id,
                                            cycle=world["cycle"])
    reviewer = world["reviewer"]
    try:
        if assessment.status == "deferred":
            assessment = assessment_start_review(assessment=assessment, by=reviewer,
                                                 today=assessment.review_date)
        if outcome == "accredit":
            assessment_accredit(assessment=assessment, by=reviewer, on=day)
        else:
            requirement = assessment.cycle.requirements.order_by("order").first()
            assessment_defer(assessment=assessment, by=reviewer, on=day,
                             review_date=day + dt.timedelta(days=1),
                             concerns=[Concern(requirement=requirement, concern="Weak.",
                                               action_required="Strengthen.")])
    except ApplicationError:  # accredited already: final
        return False
    _settle()
    return True


def _state_on(applied: list[tuple[int, str, dt.date]], index: int, day: dt.date) -> str:
    state = "undecided"
    for n, outcome, decided_on in applied:  # in date order
        if n == index and decided_on <= day:
            state = "accredited" if outcome == "accredit" else "deferred"
    return state


def test_as_at_equals_the_entries_effective_by_each_day_and_the_rule_then():
    examples_with_decisions = []

    @settings(max_examples=30, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(amounts=amounts, sequence=decisions)
    def check(amounts, sequence):
        with transaction.atomic():
            world = _world(amounts)
            applied = []
            day = START
            with clock.held_at(_noon(RECORDED)):
                for index, outcome, gap in sequence:
                    day += dt.timedelta(days=gap)
                    if _decide(world, index, outcome, day):
                        applied.append((index, outcome, day))
            examples_with_decisions.append(len(applied))

            entries = list(ReleaseEntry.objects.values_list("allocation_id", "amount_pence",
                                                            "effective_on"))
            assert {e[2] for e in entries} <= {d for _, _, d in applied}  # never the recording day
            last = day + dt.timedelta(days=1)
            probe = START - dt.timedelta(days=1)
            while probe <= last:
                by_sum: dict[int, int] = defaultdict(int)
                for allocation_id, amount, effective_on in entries:
                    if effective_on <= probe:
                        by_sum[allocation_id] += amount
                figures = {a.pk: a.released_pence for a in allocation_figures(
                    allocations=Allocation.objects.all(), as_at=probe)}
                for index, allocation in enumerate(world["allocations"]):
                    state = _state_on(applied, index, probe)
                    rule = int(allocation.amount_pence * FRACTIONS[state] // 1)
                    assert figures[allocation.pk] == by_sum[allocation.pk] == rule, (
                        probe, index, state)
                scope = replace(world["scope"], as_at=probe)
                regions = dashboard._regions_with_figures(scope)
                assert sum(r.released_pence for r in regions) == sum(by_sum.values())
                states = [_state_on(applied, n, probe) for n in range(PARTNERSHIPS)]
                assert (sum(r.accredited for r in regions), sum(r.deferred for r in regions)) == (
                    states.count("accredited"), states.count("deferred"))
                probe += dt.timedelta(days=1)
            transaction.set_rollback(True)

    check()
    # Most examples recorded at least one decision (the first one always applies).
    assert sum(1 for n in examples_with_decisions if n) >= 25, examples_with_decisions
    assert sum(1 for n in examples_with_decisions if n >= 2) >= 10, examples_with_decisions
