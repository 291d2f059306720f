"""Decision letters and the funding effect they state: written once from the recorded decision,
kept with it, shown as a page and as a PDF whose text can be read back."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accreditation.letters import (
    funding_effects,
    letter_compose,
    letter_pdf,
    letter_writer,
    percent,
)
from accreditation.models import FundingState, SelfAssessment
from accreditation.services.decisions import Concern, assessment_accredit, assessment_defer
from funding.models import ReleaseOverride
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
)

pytestmark = pytest.mark.django_db

NEXT_MONTH = timezone.localdate() + dt.timedelta(days=30)


@pytest.fixture
def walsall():
    region = RegionFactory(name="West Midlands")
    partnership = PartnershipFactory(
        local_authority=LocalAuthorityFactory(name="Walsall", region=region),
        accountable_body="Walsall Metropolitan Borough Council",
    )
    MemberFactory(partnership=partnership, chair=True, representative="Jo Chair")
    cycle = CycleFactory()
    policy = ReleasePolicyFactory(governing_cycle=cycle)
    AllocationFactory(partnership=partnership, amount_pence=383_000_001)  # odd: rounding shows
    # NRF 2001/02 is ungoverned: it never appears as an effect of the 2002/03 decision.
    ReleasePolicyFactory(year=FinancialYearFactory(start_year=2001), ungoverned=True)
    AllocationFactory(partnership=partnership, year=FinancialYearFactory(start_year=2001))
    assessment = SelfAssessmentFactory(partnership=partnership, cycle=cycle, under_review=True)
    reviewer = RoleAssignmentFactory(reviewer=True, region=region,
                                     user__full_name="Pat Reviewer").user
    return SelfAssessment.objects.get(pk=assessment.pk), reviewer, policy


@pytest.mark.parametrize("fraction, text", [
    ("0.6700", "67%"), ("1.0000", "100%"), ("0.0000", "0%"), ("0.6750", "67.5%"), ("0.9", "90%"),
])
def test_percent(fraction, text):
    assert percent(Decimal(fraction)) == text


def test_funding_effect_of_a_deferral_rounds_down_to_the_penny(walsall):
    assessment, _, _ = walsall
    (effect,) = funding_effects(assessment=assessment, funding_state=FundingState.DEFERRED)
    assert effect.released_pence == 383_000_001 * 67 // 100 == 256_610_000
    assert effect.held_pence == 383_000_001 - 256_610_000
    assert effect.statement(FundingState.DEFERRED) == (
        "Walsall will receive £2,566,100 of its £3,830,000.01 2002/03 NRF allocation (67%) "
        "until a successful review; the other £1,263,900.01 is held."
    )


def test_a_partnerships_override_wins_whatever_its_state(walsall):
    assessment, _, policy = walsall
    ReleaseOverride.objects.create(policy=policy, partnership=assessment.partnership,
                                   fraction=Decimal("0.9000"), reason="10% withheld")
    (effect,) = funding_effects(assessment=assessment, funding_state=FundingState.ACCREDITED)
    assert (effect.fraction, effect.released_pence) == (Decimal("0.9000"), 344_700_000)


def test_no_policy_for_the_cycle_means_no_effect():
    assessment = SelfAssessmentFactory(cycle=CycleFactory(year_start=2005))
    AllocationFactory(partnership=assessment.partnership, fund=FundFactory(code="CEF"))
    assert funding_effects(assessment=assessment, funding_state=FundingState.DEFERRED) == []


def _defer(assessment, reviewer):
    effects = funding_effects(assessment=assessment, funding_state=FundingState.DEFERRED)
    first = assessment.cycle.requirements.order_by("order").first()
    assessment_defer(
        assessment=assessment, by=reviewer, review_date=NEXT_MONTH,
        concerns=[Concern(requirement=first, concern="Community involvement is thin.",
                          action_required="Involve community groups.",
                          due_by=NEXT_MONTH)],
        letter=letter_writer(effects=effects),
    )
    return SelfAssessment.objects.get(pk=assessment.pk).decisions.get()


def test_deferral_letter_addresses_the_chair_and_states_review_date_and_amounts(walsall):
    assessment, reviewer, _ = walsall
    letter = _defer(assessment, reviewer).letter
    assert letter.startswith("Government Office for West Midlands")
    assert "Jo Chair, Chair, Walsall LSP" in letter
    assert "Walsall Metropolitan Borough Council (accountable body)" in letter
    assert "deferred pending a review" in letter and f"{NEXT_MONTH:%-d %B %Y}" in letter
    assert ("- R1 Requirement R1: Community involvement is thin. Action required: Involve "
            "community groups.") in letter
    assert "£2,566,100 of its £3,830,000.01" in letter and "the other £1,263,900.01 is held" in letter
    assert letter.endswith("Pat Reviewer\nGovernment Office for West Midlands")


def test_accreditation_letter(walsall):
    assessment, reviewer, _ = walsall
    effects = funding_effects(assessment=assessment, funding_state=FundingState.ACCREDITED)
    assessment_accredit(assessment=assessment, by=reviewer,
                        letter=letter_writer(effects=effects))
    letter = assessment.decisions.get().letter
    assert "I am pleased to confirm that Walsall LSP is accredited for 2002/03" in letter
    assert "Walsall will receive all of its £3,830,000.01 2002/03 NRF allocation (100%)" in letter
    assert "Areas of concern" not in letter


def test_a_stored_letter_is_not_rewritten_by_later_changes(walsall, client):
    assessment, reviewer, _ = walsall
    decision = _defer(assessment, reviewer)
    sent = decision.letter
    chair = assessment.partnership.members.get(role="chair")
    chair.representative = "Someone Else"
    chair.save()
    assert letter_compose(decision, effects=[]) != sent  # writing it today would differ
    client.force_login(reviewer)
    page = client.get(reverse("review:decision-letter", args=[decision.pk])).content.decode()
    assert "Jo Chair" in page and "Someone Else" not in page


def test_the_pdf_reads_back_with_the_partnership_and_the_amounts(walsall, client):
    assessment, reviewer, _ = walsall
    decision = _defer(assessment, reviewer)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(letter_pdf(decision))).pages)
    assert "Walsall" in text
    assert "£2,566,100" in text
    client.force_login(reviewer)
    response = client.get(reverse("review:decision-letter-pdf", args=[decision.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="walsall-2002-03-decision-' in response["Content-Disposition"]
