"""A small, demo-like world in which every URL of the project has something to point at.

Two regions; partnership A (region 1) and B (region 2), plus C and D in region 1 so that
the reviewer's pages have an assessment under review and one submitted. Every state is
reached through the real services (via tests/factories.py), so the rows are those a user's
clicks would leave.

Objects the permission table's URL kwargs refer to (by attribute name):

- ``a_2002``: A's 2002/03 self-assessment, deferred by reviewer 1 (who rated R1 red), a
  decision with a letter and one area of concern ``a_concern`` on R1; ``a_decision``. Nobody
  has responded to the deferral yet.
- ``a_draft``: A's 2003/04 self-assessment, a draft started by officer A from the 2002/03
  answers (so it has progress to report on the area of concern), with an evidence file
  ``a_evidence`` on R1.
- ``c_review``: C's 2002/03 self-assessment, under review by reviewer 1; ``c_requirement``.
- ``d_submitted``: D's 2002/03 self-assessment, submitted, waiting for a reviewer.
- ``e_review``: E's (region 1) 2002/03 self-assessment under review by reviewer 1, every
  requirement agreed, so it can be accredited in bulk.
- ``b_2002``: B's 2002/03 self-assessment, accredited by reviewer 2.
- ``member_a``: an ordinary member of A (A's chair is a member too).
- ``policy``: NRF 2002/03, governed by the 2002/03 cycle.
- ``target_a``: a crime target of A, with a progress return ``return_a`` by officer A.
- ``failed_email``: an email to A's chair that the outbox gave up on (the mail server refused
  it on its only attempt), listed for NRU administrators.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from accreditation.letters import funding_effects, letter_writer
from accreditation.models import (
    AreaOfConcern,
    Decision,
    EvidenceFile,
    FundingState,
    Requirement,
    SelfAssessment,
)
from accreditation.services.decisions import Concern, assessment_defer
from accreditation.services.drafting import assessment_start, evidence_attach
from accreditation.services.review import response_go_rate
from core.models import OutboxEmail, User
from core.outbox import email_record, email_send
from funding.ledger import releases_recompute
from funding.models import ReleasePolicy
from partnerships.models import Member, Partnership, Region, Sector
from performance.models import ProgressReturn, Target
from reporting.api_tokens import api_token_create
from reporting.models import ApiToken
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
    SelfAssessmentFactory,
    UserFactory,
    assessment_fill,
)
from tests.performance.factories import ProgressReturnFactory, TargetFactory
from tests.row_snapshot import restored

# The roles every URL is tried as, in the order of the table's columns.
ROLES = ("anonymous", "officer_a", "officer_b", "chair_a", "reviewer_1", "reviewer_2",
         "analyst", "admin")


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <<>>\n%%EOF\n"


@dataclass
class World:
    region_1: Region
    region_2: Region
    partnership_a: Partnership
    partnership_b: Partnership
    partnership_c: Partnership
    partnership_d: Partnership
    officer_a: User
    officer_b: User
    chair_a: User
    reviewer_1: User
    reviewer_2: User
    analyst: User
    admin: User
    cycle_2002: object
    cycle_2003: object
    a_2002: SelfAssessment
    a_decision: Decision
    a_concern: AreaOfConcern
    a_draft: SelfAssessment
    a_evidence: EvidenceFile
    b_2002: SelfAssessment
    c_review: SelfAssessment
    c_requirement: Requirement
    d_submitted: SelfAssessment
    e_review: SelfAssessment
    member_a: Member
    policy: ReleasePolicy
    target_a: Target
    return_a: ProgressReturn
    failed_email: OutboxEmail
    api_token: ApiToken

    def user(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)


def _partnership(name: str, region: Region, code: int) -> Partnership:
    authority = LocalAuthorityFactory(name=name, slug=name.lower(), region=region,
                                      gss_code=f"E0800{code:04d}")
    return PartnershipFactory(local_authority=authority)


def build_world() -> World:
    """The world above, built once per test process (and per training clock setting) and
    restored per test (tests/row_snapshot.py); a fresh copy of its objects each time."""
    return restored(_build_world)


def _build_world() -> World:
    region_1 = RegionFactory(name="West Midlands", slug="west-midlands")
    region_2 = RegionFactory(name="North West", slug="north-west")
    a = _partnership("Walsall", region_1, 1)
    b = _partnership("Bolton", region_2, 2)
    c = _partnership("Sandwell", region_1, 3)
    d = _partnership("Wolverhampton", region_1, 4)
    e = _partnership("Dudley", region_1, 5)

    officer_a = RoleAssignmentFactory(officer=True, partnership=a,
                                      user=UserFactory(email="officer@walsall.test")).user
    officer_b = RoleAssignmentFactory(officer=True, partnership=b,
                                      user=UserFactory(email="officer@bolton.test")).user
    chair_a = RoleAssignmentFactory(chair=True, partnership=a,
                                    user=UserFactory(email="chair@walsall.test")).user
    reviewer_1 = RoleAssignmentFactory(reviewer=True, region=region_1,
                                       user=UserFactory(email="reviewer@wm.test")).user
    reviewer_2 = RoleAssignmentFactory(reviewer=True, region=region_2,
                                       user=UserFactory(email="reviewer@nw.test")).user
    analyst = RoleAssignmentFactory(analyst=True, user=UserFactory(email="analyst@nru.test")).user
    admin = RoleAssignmentFactory(admin=True, user=UserFactory(email="admin@nru.test",
                                                               staff=True)).user

    MemberFactory(partnership=a, chair=True, organisation="Walsall Council")
    member_a = MemberFactory(partnership=a, organisation="Walsall Voluntary Action",
                             sector=Sector.VOLUNTARY)
    for sector in (Sector.COMMUNITY, Sector.BUSINESS):
        MemberFactory(partnership=a, sector=sector)

    nrf = FundFactory(code="NRF")
    years = {y: FinancialYearFactory(start_year=y) for y in (2001, 2002, 2003)}
    cycle_2002 = CycleFactory(year_start=2002)
    cycle_2003 = CycleFactory(year_start=2003)
    policy = ReleasePolicyFactory(fund=nrf, year=years[2002], governing_cycle=cycle_2002)
    ReleasePolicyFactory(fund=nrf, year=years[2001], ungoverned=True)
    for n, p in enumerate((a, b, c, d)):
        amount = 300_000_000 + n * 1_000_001
        AllocationFactory(partnership=p, fund=nrf, year=years[2001], amount_pence=amount * 2 // 3)
        AllocationFactory(partnership=p, fund=nrf, year=years[2002], amount_pence=amount)
        AllocationFactory(partnership=p, fund=nrf, year=years[2003], amount_pence=amount * 4 // 3)

    # A, 2002/03: deferred by reviewer 1, with a letter written from the decision.
    a_2002 = SelfAssessmentFactory(partnership=a, cycle=cycle_2002, under_review=True,
                                   chair_user=chair_a, reviewer_user=reviewer_1)
    first = cycle_2002.requirements.order_by("order").first()
    response_go_rate(response=a_2002.responses.get(requirement=first), by=reviewer_1,
                     go_rating="red", go_comment="Not yet shown.")
    assessment_defer(
        assessment=a_2002, by=reviewer_1, review_date=dt.date(2002, 3, 28), on=dt.date(2002, 2, 28),
        concerns=[Concern(requirement=first, concern="Not yet shown.",
                          action_required="Show it.")],
        summary="Deferred pending review",
        letter=letter_writer(effects=funding_effects(assessment=a_2002,
                                                     funding_state=FundingState.DEFERRED)),
    )
    a_2002 = SelfAssessment.objects.get(pk=a_2002.pk)
    a_decision = a_2002.decisions.get()
    a_concern = a_decision.concerns.get()

    # A, 2003/04: a draft started by its officer, carrying forward the 2002/03 answers.
    a_draft = assessment_start(partnership=a, cycle=cycle_2003, by=officer_a)
    assessment_fill(a_draft)
    a_draft = SelfAssessment.objects.get(pk=a_draft.pk)
    a_evidence = evidence_attach(
        response=a_draft.responses.order_by("requirement__order").first(), by=officer_a,
        upload=SimpleUploadedFile("minutes.pdf", pdf_bytes(), content_type="application/pdf"),
    )

    b_2002 = SelfAssessmentFactory(partnership=b, cycle=cycle_2002, accredited=True,
                                   reviewer_user=reviewer_2)
    c_review = SelfAssessmentFactory(partnership=c, cycle=cycle_2002, under_review=True,
                                     reviewer_user=reviewer_1)
    d_submitted = SelfAssessmentFactory(partnership=d, cycle=cycle_2002, submitted=True)
    e_review = SelfAssessmentFactory(partnership=e, cycle=cycle_2002, under_review=True,
                                     reviewer_user=reviewer_1)
    for response in e_review.responses.all():
        response_go_rate(response=response, by=reviewer_1, go_rating="agree")
    e_review = SelfAssessment.objects.get(pk=e_review.pk)
    for p in (a, b, c, d):
        releases_recompute(partnership=p)

    target_a = TargetFactory(partnership=a, title="Fewer burglaries in Walsall")
    return_a = ProgressReturnFactory(target=target_a, recorded_by=officer_a)

    with override_settings(EMAIL_BACKEND="tests.mail_backends.FailingBackend",
                           EMAIL_OUTBOX_MAX_ATTEMPTS=1):
        failed_email = email_record(
            key="world:failed", kind="Accreditation decision", to=[chair_a.email],
            subject="Accreditation decision: Walsall 2002/03: Deferred", body="Dear Chair",
        )
        email_send(email_id=failed_email.pk)  # or already tried, if the commit has happened
    failed_email = OutboxEmail.objects.get(pk=failed_email.pk, status=OutboxEmail.Status.FAILED)
    api_token = api_token_create(name="Regional extract", valid_days=30, created_by=admin)[0]

    return World(
        region_1=region_1, region_2=region_2, partnership_a=a, partnership_b=b, partnership_c=c,
        partnership_d=d, officer_a=officer_a, officer_b=officer_b, chair_a=chair_a,
        reviewer_1=reviewer_1, reviewer_2=reviewer_2, analyst=analyst, admin=admin,
        cycle_2002=cycle_2002, cycle_2003=cycle_2003, a_2002=a_2002, a_decision=a_decision,
        a_concern=a_concern,
        a_draft=a_draft, a_evidence=a_evidence, b_2002=b_2002, c_review=c_review,
        c_requirement=first, d_submitted=d_submitted, e_review=e_review, member_a=member_a, policy=policy,
        target_a=target_a, return_a=return_a, failed_email=failed_email, api_token=api_token,
    )
