"""Walsall deferred on 28 February 2002 pending review on 28 March 2002, reached through the real
services: the Government Office rated R1 red and agreed with the partnership's amber on R2, and
set an area of concern on each. Its NRF 2002/03 allocation (£3,830,000) is 67% released. Sandwell,
in the same region, is another partnership with its own officer.

Build it inside `django_capture_on_commit_callbacks(execute=True)` (`deferred_walsall_settled`
does, for the fixtures) so that each transition's recompute runs and the ledger is what a user
would see.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.test import TestCase

from accreditation.models import (
    AreaOfConcern,
    Decision,
    GoRating,
    Rating,
    RequirementResponse,
    SelfAssessment,
)
from accreditation.services.decisions import Concern, assessment_defer
from accreditation.services.drafting import assessment_get_or_create, assessment_submit
from accreditation.services.review import assessment_start_review, response_go_rate
from funding.models import Allocation, ReleaseEntry
from partnerships.models import Member, Partnership, Sector
from partnerships.services import member_add
from tests.factories import (
    AllocationFactory,
    CycleFactory,
    FinancialYearFactory,
    FundFactory,
    LocalAuthorityFactory,
    MemberFactory,
    PartnershipFactory,
    RegionFactory,
    ReleasePolicyFactory,
    RoleAssignmentFactory,
    assessment_fill,
)
from tests.row_snapshot import restored

WALSALL_NRF_2002 = 383_000_000  # pence
DEFERRED_ON = dt.date(2002, 2, 28)
REVIEW_ON = dt.date(2002, 3, 28)


def pdf_upload(name: str = "board-minutes.pdf") -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <<>>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


@dataclass
class DeferredWalsall:
    partnership: Partnership
    officer: object
    chair: object
    reviewer: object
    other_officer: object
    allocation: Allocation
    decision: Decision
    r1_concern: AreaOfConcern
    r2_concern: AreaOfConcern
    pk: int

    def assessment(self) -> SelfAssessment:
        # A fresh copy each time: django-fsm's protected field refuses refresh_from_db().
        return SelfAssessment.objects.get(pk=self.pk)

    def answer(self, code: str) -> RequirementResponse:
        return RequirementResponse.objects.get(assessment_id=self.pk, requirement__code=code)

    def money(self) -> tuple[int, int]:
        """(released, held) of Walsall's NRF 2002/03, from the ledger."""
        released = ReleaseEntry.objects.filter(allocation=self.allocation).aggregate(
            total=Sum("amount_pence"))["total"] or 0
        return released, self.allocation.amount_pence - released


# What the ledger holds at each funding state.
DEFERRED_MONEY = (WALSALL_NRF_2002 * 67 // 100, WALSALL_NRF_2002 - WALSALL_NRF_2002 * 67 // 100)
ACCREDITED_MONEY = (WALSALL_NRF_2002, 0)


def deferred_walsall_settled() -> DeferredWalsall:
    """`build_deferred_walsall()` with each commit hook run as it would be after its commit (the
    recomputes, the outbox's emails), as the tests' fixtures want it; built once per test
    process and restored per test (tests/row_snapshot.py)."""
    return restored(_settled)


def _settled() -> DeferredWalsall:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return build_deferred_walsall()


def build_deferred_walsall() -> DeferredWalsall:
    region = RegionFactory(name="West Midlands", slug="west-midlands")
    walsall = PartnershipFactory(local_authority=LocalAuthorityFactory(
        name="Walsall", slug="walsall", region=region))
    sandwell = PartnershipFactory(local_authority=LocalAuthorityFactory(
        name="Sandwell", slug="sandwell", region=region))
    officer = RoleAssignmentFactory(officer=True, partnership=walsall,
                                    user__email="officer@walsall.lsp.example").user
    chair = RoleAssignmentFactory(chair=True, partnership=walsall,
                                  user__email="chair@walsall.lsp.example").user
    reviewer = RoleAssignmentFactory(reviewer=True, region=region,
                                     user__email="reviewer@west-midlands.go.example").user
    other_officer = RoleAssignmentFactory(officer=True, partnership=sandwell,
                                          user__email="officer@sandwell.lsp.example").user
    MemberFactory(partnership=walsall, chair=True, organisation="Walsall Council",
                  representative="A. Chair")
    MemberFactory(partnership=walsall, organisation="Walsall Voluntary Action",
                  sector=Sector.VOLUNTARY)

    nrf = FundFactory(code="NRF")
    cycle = CycleFactory(year_start=2002)
    ReleasePolicyFactory(fund=nrf, year=FinancialYearFactory(start_year=2002),
                         governing_cycle=cycle)
    allocation = AllocationFactory(partnership=walsall, fund=nrf, year=FinancialYearFactory(
        start_year=2002), amount_pence=WALSALL_NRF_2002)

    a = assessment_get_or_create(partnership=walsall, cycle=cycle)
    assessment_fill(a)
    RequirementResponse.objects.filter(assessment=a, requirement__code="R2").update(
        self_rating=Rating.AMBER, case="Community representatives are still to be elected.")
    a = assessment_submit(assessment=a, by=chair)
    a = assessment_start_review(assessment=a, by=reviewer, today=dt.date(2002, 2, 4))
    ratings = {"R1": (GoRating.RED, "The board has not agreed its strategic role."),
               "R2": (GoRating.AGREE, ""), "R3": (GoRating.AGREE, "")}
    for response in a.responses.select_related("requirement"):
        rating, comment = ratings[response.requirement.code]
        response_go_rate(response=response, by=reviewer, go_rating=rating, go_comment=comment)
    requirements = {r.code: r for r in cycle.requirements.all()}
    assessment_defer(
        assessment=a, by=reviewer, review_date=REVIEW_ON, on=DEFERRED_ON,
        concerns=[
            Concern(requirement=requirements["R1"], concern="No strategic role yet.",
                    action_required="Agree the board's role and show it in use.",
                    due_by=REVIEW_ON),
            Concern(requirement=requirements["R2"], concern="No community representatives.",
                    action_required="Bring elected community representatives onto the board."),
        ],
        summary="Deferred pending review",
    )
    decision = a.decisions.get(outcome=Decision.Outcome.DEFERRED)
    concerns = {c.requirement.code: c for c in decision.concerns.select_related("requirement")}
    return DeferredWalsall(
        partnership=walsall, officer=officer, chair=chair, reviewer=reviewer,
        other_officer=other_officer, allocation=allocation, decision=decision,
        r1_concern=concerns["R1"], r2_concern=concerns["R2"], pk=a.pk,
    )


def community_member(walsall: DeferredWalsall) -> Member:
    """The officer adds the community sector's elected representative to the partnership."""
    return member_add(partnership=walsall.partnership, by=walsall.officer,
                      sector=Sector.COMMUNITY, organisation="Walsall Community Empowerment Network",
                      representative="B. Elected")
