"""The Walsall scenario (under review for 2002/03, deferred, then accredited on review) and
helpers shared by the funding tests."""

import datetime as dt
from dataclasses import dataclass

import pytest

from accreditation.models import SelfAssessment
from accreditation.services.decisions import Concern, assessment_accredit, assessment_defer
from accreditation.services.review import assessment_start_review
from funding.models import Allocation, ReleasePolicy
from partnerships.models import Partnership
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

from .celery_control import broker_down, celery_publishing

WALSALL_2002_PENCE = 383_000_000  # £3,830,000.00, anticipated NRF 2002/03
WALSALL_2001_PENCE = WALSALL_2002_PENCE * 2 // 3
DECIDED_ON = dt.date(2002, 2, 28)
REVIEW_ON = dt.date(2002, 3, 28)


@dataclass
class Scenario:
    partnership: Partnership
    nrf_2002: Allocation
    nrf_2001: Allocation
    policy: ReleasePolicy
    reviewer: object
    admin: object
    cycle: object

    def assessment(self) -> SelfAssessment:
        return SelfAssessment.objects.get(partnership=self.partnership, cycle=self.cycle)

    def defer(self, assessment=None):
        assessment = assessment or self.assessment()
        first = assessment.cycle.requirements.order_by("order").first()
        return assessment_defer(
            assessment=assessment, by=self.reviewer, review_date=REVIEW_ON, on=DECIDED_ON,
            concerns=[Concern(requirement=first, concern="Weak involvement.",
                              action_required="Involve the community.")],
            summary="Deferred pending review",
        )

    def start_review(self, assessment=None):
        return assessment_start_review(
            assessment=assessment or self.assessment(), by=self.reviewer, today=REVIEW_ON
        )

    def accredit(self, assessment=None):
        return assessment_accredit(
            assessment=assessment or self.assessment(), by=self.reviewer, summary="Accredited"
        )


def make_scenario(name: str = "Walsall", amount: int = WALSALL_2002_PENCE,
                  state: str = "under_review") -> Scenario:
    region = RegionFactory(name="West Midlands", slug="west-midlands")
    la = LocalAuthorityFactory(name=name, slug=name.lower(), region=region)
    partnership = PartnershipFactory(local_authority=la)
    nrf = FundFactory(code="NRF")
    y2001 = FinancialYearFactory(start_year=2001)
    y2002 = FinancialYearFactory(start_year=2002)
    cycle = CycleFactory(year_start=2002)
    policy = ReleasePolicyFactory(fund=nrf, year=y2002, governing_cycle=cycle)
    # Released in full by an explicit policy, as the reference data sets it (no policy: nothing).
    ReleasePolicyFactory(fund=nrf, year=y2001, ungoverned=True)
    nrf_2002 = AllocationFactory(partnership=partnership, fund=nrf, year=y2002, amount_pence=amount)
    nrf_2001 = AllocationFactory(partnership=partnership, fund=nrf, year=y2001,
                                 amount_pence=amount * 2 // 3)
    reviewer = RoleAssignmentFactory(reviewer=True, region=region,
                                     user__full_name="GO West Midlands").user
    admin = RoleAssignmentFactory(admin=True).user
    SelfAssessmentFactory(partnership=partnership, cycle=cycle, state=state,
                          reviewer_user=reviewer)
    return Scenario(partnership, nrf_2002, nrf_2001, policy, reviewer, admin, cycle)


@pytest.fixture
def walsall(db) -> Scenario:
    """Walsall under review for 2002/03: NRF 2002/03 £3,830,000.00 governed by the cycle
    (100% / 67% / 0%), NRF 2001/02 ungoverned. Built once per test process and restored per
    test (tests/row_snapshot.py)."""
    return restored(make_scenario)


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process even when the suite is pointed at a real broker."""
    with celery_publishing(eager=True):
        yield


@pytest.fixture
def no_broker():
    """Sending a task fails, as with Redis down: recompute requests stay owed after commit."""
    with broker_down():
        yield
