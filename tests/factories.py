"""factory_boy factories for every model the suite needs.

Assessment states other than draft are reached through the real transition services (the
`status` field is protected), so `SelfAssessmentFactory(submitted=True)` and friends produce
the same rows, events and recompute requests a user's clicks would.
"""

import datetime as dt
from decimal import Decimal

import factory
from django.db.models import Max

from accreditation.models import (
    Cycle,
    Rating,
    Requirement,
    RequirementResponse,
    SelfAssessment,
    StakeholderView,
)
from accreditation.services.decisions import Concern, assessment_accredit, assessment_defer
from accreditation.services.drafting import assessment_get_or_create, assessment_submit
from accreditation.services.review import assessment_start_review
from core import clock
from core.models import Provenance, Source, User
from funding.models import Allocation, FinancialYear, Fund, RegionalBudget, ReleasePolicy
from partnerships.models import LocalAuthority, Member, Partnership, Region, Role, RoleAssignment, Sector

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name", locale="en_GB")
    is_active = True
    password = factory.django.Password(PASSWORD)

    class Params:
        staff = factory.Trait(is_staff=True, is_superuser=True)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"source-{n}")
    citation = factory.LazyAttribute(lambda o: f"Citation for {o.key}")


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Region {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class LocalAuthorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LocalAuthority
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Borough {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    gss_code = factory.Sequence(lambda n: f"E0{n:07d}")
    region = factory.SubFactory(RegionFactory)
    is_nrf_area = True
    membership_evidence = "A"
    provenance = Provenance.PUBLISHED


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partnership
        django_get_or_create = ("slug",)

    local_authority = factory.SubFactory(LocalAuthorityFactory)
    name = factory.LazyAttribute(lambda o: f"{o.local_authority.name} LSP")
    slug = factory.LazyAttribute(lambda o: o.local_authority.slug)
    accountable_body = factory.LazyAttribute(lambda o: f"{o.local_authority.name} Council")


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    partnership = factory.SubFactory(PartnershipFactory)
    organisation = factory.Sequence(lambda n: f"Organisation {n}")
    representative = factory.Faker("name", locale="en_GB")
    sector = Sector.PUBLIC
    role = Member.Role.MEMBER

    class Params:
        chair = factory.Trait(role=Member.Role.CHAIR)


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    """Defaults to an LSP officer of a new partnership; use the traits for other scopes."""

    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = Role.LSP_OFFICER
    partnership = factory.SubFactory(PartnershipFactory)
    region = None

    class Params:
        officer = factory.Trait(role=Role.LSP_OFFICER)
        chair = factory.Trait(role=Role.LSP_CHAIR)
        reviewer = factory.Trait(role=Role.GO_REVIEWER, partnership=None,
                                 region=factory.SubFactory(RegionFactory))
        analyst = factory.Trait(role=Role.NRU_ANALYST, partnership=None, region=None)
        admin = factory.Trait(role=Role.NRU_ADMIN, partnership=None, region=None)


class CycleFactory(factory.django.DjangoModelFactory):
    """A cycle with `requirements` key requirements (three by default, R1 core)."""

    class Meta:
        model = Cycle
        django_get_or_create = ("year_start",)
        skip_postgeneration_save = True

    year_start = 2002
    name = factory.LazyAttribute(lambda o: f"{o.year_start}/{(o.year_start + 1) % 100:02d}")
    opens_on = factory.LazyAttribute(lambda o: dt.date(o.year_start - 1, 10, 1))
    submission_deadline = factory.LazyAttribute(lambda o: dt.date(o.year_start, 1, 31))
    announcement_date = factory.LazyAttribute(lambda o: dt.date(o.year_start, 2, 28))

    @factory.post_generation
    def requirements(self, create, extracted, **kwargs):
        if not create:
            return
        count = 3 if extracted is None else extracted
        for n in range(1, count + 1):
            RequirementFactory(cycle=self, code=f"R{n}", order=n, is_core=(n == 1))


class RequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requirement
        django_get_or_create = ("cycle", "code")

    cycle = factory.SubFactory(CycleFactory, requirements=0)
    order = factory.LazyAttribute(
        lambda o: (o.cycle.requirements.aggregate(m=Max("order"))["m"] or 0) + 1
    )
    code = factory.LazyAttribute(lambda o: f"R{o.order}")
    title = factory.LazyAttribute(lambda o: f"Requirement {o.code}")
    description = "What the partnership must show."
    is_core = False
    wording_status = ""


def _reviewer_for(assessment: SelfAssessment) -> User:
    return RoleAssignmentFactory(reviewer=True, region=assessment.partnership.region).user


def _chair_for(assessment: SelfAssessment) -> User:
    return RoleAssignmentFactory(chair=True, partnership=assessment.partnership).user


class SelfAssessmentFactory(factory.django.DjangoModelFactory):
    """A draft by default, with one empty response per requirement. The traits walk it through
    the real services, so each state comes with its events and recompute requests:

    `filled` (still a draft, every response rated and argued), `submitted`, `under_review`,
    `accredited`, `deferred` (review date `review_on`, decided 28 days before it or today if
    that is still to come, one area of concern on the first requirement). The chair and the
    reviewer are created on the fly unless given as `chair_user` / `reviewer_user`.
    """

    class Meta:
        model = SelfAssessment

    partnership = factory.SubFactory(PartnershipFactory)
    cycle = factory.SubFactory(CycleFactory)
    state = "draft"
    chair_user = None
    reviewer_user = None
    review_on = dt.date(2002, 3, 28)

    class Params:
        filled = factory.Trait(state="filled")
        submitted = factory.Trait(state="submitted")
        under_review = factory.Trait(state="under_review")
        accredited = factory.Trait(state="accredited")
        deferred = factory.Trait(state="deferred")

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        for name in ("state", "chair_user", "reviewer_user", "review_on"):
            kwargs.pop(name)
        return model_class(*args, **kwargs)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        state = kwargs.pop("state")
        chair = kwargs.pop("chair_user")
        reviewer = kwargs.pop("reviewer_user")
        review_on = kwargs.pop("review_on")
        steps = ASSESSMENT_STEPS[: ASSESSMENT_STEPS.index(state) + 1]
        assessment = assessment_get_or_create(
            partnership=kwargs["partnership"], cycle=kwargs["cycle"]
        )
        if "filled" in steps:
            assessment_fill(assessment)
        if "submitted" in steps:
            assessment = assessment_submit(
                assessment=assessment, by=chair or _chair_for(assessment)
            )
        if "under_review" in steps:
            reviewer = reviewer or _reviewer_for(assessment)
            assessment = assessment_start_review(
                assessment=assessment, by=reviewer
            )
        if state == "accredited":
            assessment = assessment_accredit(
                assessment=assessment, by=reviewer, summary="Accredited"
            )
        elif state == "deferred":
            first = assessment.cycle.requirements.order_by("order").first()
            assessment = assessment_defer(
                assessment=assessment, by=reviewer, review_date=review_on,
                # A decision cannot be dated after the clock's today.
                on=min(review_on - dt.timedelta(days=28), clock.today()),
                concerns=[Concern(
                    requirement=first, concern="Not yet shown.", action_required="Show it.",
                )],
                summary="Deferred pending review",
            )
        # A fresh copy: django-fsm's protected field refuses refresh_from_db().
        return SelfAssessment.objects.get(pk=assessment.pk)


# The order a self-assessment passes through; accredited and deferred both follow under_review.
ASSESSMENT_STEPS = ("draft", "filled", "submitted", "under_review", "accredited", "deferred")


def assessment_fill(assessment: SelfAssessment, rating: str = Rating.GREEN) -> None:
    """Rate every requirement and give a case, as an officer would before submission."""
    responses = list(assessment.responses.all())
    for response in responses:
        response.self_rating = rating
        response.case = "Our case, with evidence."
    RequirementResponse.objects.bulk_update(responses, ["self_rating", "case"])


class StakeholderViewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StakeholderView

    assessment = factory.SubFactory(SelfAssessmentFactory)
    organisation = factory.Sequence(lambda n: f"Stakeholder {n}")
    sector = Sector.COMMUNITY
    stance = StakeholderView.Stance.SUPPORTS
    comment = "We were involved throughout."
    given_on = dt.date(2002, 2, 10)
    recorded_by = factory.SubFactory(UserFactory)


class FundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fund
        django_get_or_create = ("code",)

    code = "NRF"
    name = factory.LazyAttribute(
        lambda o: {"NRF": "Neighbourhood Renewal Fund",
                   "CEF": "Community Empowerment Fund"}.get(o.code, f"{o.code} fund")
    )


class FinancialYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FinancialYear
        django_get_or_create = ("start_year",)

    start_year = 2002
    label = factory.LazyAttribute(lambda o: f"{o.start_year}/{(o.start_year + 1) % 100:02d}")
    starts_on = factory.LazyAttribute(lambda o: dt.date(o.start_year, 4, 1))
    ends_on = factory.LazyAttribute(lambda o: dt.date(o.start_year + 1, 3, 31))


class AllocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Allocation

    partnership = factory.SubFactory(PartnershipFactory)
    fund = factory.SubFactory(FundFactory)
    year = factory.SubFactory(FinancialYearFactory)
    amount_pence = 300_000_000
    provenance = Provenance.ILLUSTRATIVE
    source = None


class RegionalBudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegionalBudget

    region = factory.SubFactory(RegionFactory)
    fund = factory.SubFactory(FundFactory, code="CEF")
    year = factory.SubFactory(FinancialYearFactory, start_year=2003)
    amount_pence = 100_000_000
    provenance = Provenance.PUBLISHED
    source = None


class ReleasePolicyFactory(factory.django.DjangoModelFactory):
    """NRF 2002/03 governed by the 2002/03 cycle: accredited 100%, deferred 67%, undecided 0%."""

    class Meta:
        model = ReleasePolicy
        django_get_or_create = ("fund", "year")

    fund = factory.SubFactory(FundFactory)
    year = factory.SubFactory(FinancialYearFactory)
    governing_cycle = factory.SubFactory(CycleFactory)
    fraction_accredited = Decimal("1.0000")
    fraction_deferred = Decimal("0.6700")
    fraction_undecided = Decimal("0.0000")

    class Params:
        ungoverned = factory.Trait(governing_cycle=None)
