"""A training service in Chromium, on the demo's story: on 1 March 2002 the NRU administrator
moves the date to 28 March 2002 (moving it back is refused); the West Midlands reviewer then
reviews Walsall, deferred until that day, and accredits it dated 28 March 2002 (a date after
today is refused first). The letter, as a page and as the PDF read back, is dated 28 March 2002.
axe-core checks every page visited."""

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from accreditation.models import Decision, SelfAssessment
from core import clock
from core.training import training_date_start
from tests.factories import (
    AllocationFactory,
    CycleFactory,
    LocalAuthorityFactory,
    MemberFactory,
    PartnershipFactory,
    RegionFactory,
    ReleasePolicyFactory,
    RoleAssignmentFactory,
    SelfAssessmentFactory,
)

pytestmark = pytest.mark.e2e

ADMIN = "admin@nru.example"
REVIEWER = "reviewer@west-midlands.go.example"


@pytest.fixture
def walsall_deferred(settings):
    """Walsall deferred on 28 February 2002 until its review on 28 March 2002; the service's
    today is 1 March 2002."""
    region = RegionFactory(name="West Midlands", slug="west-midlands")
    cycle = CycleFactory()
    ReleasePolicyFactory(governing_cycle=cycle)
    reviewer = RoleAssignmentFactory(reviewer=True, region=region, user__email=REVIEWER,
                                     user__full_name="Pat Reviewer").user
    RoleAssignmentFactory(admin=True, user__email=ADMIN, user__full_name="NRU administrator")
    walsall = PartnershipFactory(local_authority=LocalAuthorityFactory(name="Walsall",
                                                                       region=region))
    MemberFactory(partnership=walsall, chair=True, representative="Walsall Chair")
    AllocationFactory(partnership=walsall, amount_pence=383_000_000)
    with clock.held_at(timezone.make_aware(dt.datetime(2002, 2, 28, 10))):
        assessment = SelfAssessmentFactory(partnership=walsall, cycle=cycle, deferred=True,
                                           reviewer_user=reviewer, review_on=dt.date(2002, 3, 28))
    settings.TRAINING_CLOCK = True
    training_date_start(on=dt.date(2002, 3, 1), by_label="test")
    return assessment


def _date(page, prefix: str, day: int, month: int, year: int):
    page.locator(f'[name="{prefix}_0"]').fill(str(day))
    page.locator(f'[name="{prefix}_1"]').fill(str(month))
    page.locator(f'[name="{prefix}_2"]').fill(str(year))


def test_the_administrator_moves_the_date_and_walsall_is_accredited_on_28_march_2002(
        page, sign_in, axe_check, walsall_deferred):
    sign_in(page, ADMIN)
    expect(page.locator("#training-banner")).to_contain_text(
        "This service is running on a training date: today in this service is 1 March 2002")
    page.goto("/nru/")
    page.get_by_role("link", name="Move this training service's date forward").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Today in this training service is 1 March 2002")
    axe_check(page)

    _date(page, "to", 28, 2, 2002)
    page.get_by_role("button", name="Move the date forward").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The new date must be after 1 March 2002: the training date only moves forward")
    axe_check(page)
    _date(page, "to", 28, 3, 2002)
    page.get_by_role("button", name="Move the date forward").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Today in this training service is now 28 March 2002")
    expect(page.locator("#training-banner")).to_contain_text("28 March 2002")
    expect(page.locator("#training-date-moves")).to_contain_text("NRU administrator")
    axe_check(page)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, REVIEWER)
    expect(page.locator("#training-banner")).to_contain_text("28 March 2002")
    page.goto("/review/")
    expect(page.locator("#deferred-reviews")).to_contain_text("28 March 2002")
    expect(page.locator("#deferred-reviews")).to_contain_text("Due today")
    page.locator("#deferred-reviews").get_by_role("link", name=re.compile("Walsall LSP")).click()
    page.get_by_role("button", name="Start review").click()
    page.get_by_role("link", name="Record your decision").click()
    page.get_by_label("Accredit", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    # The date of the decision, filled in with the service's today.
    expect(page.locator('[name="decided_on_0"]')).to_have_value("28")
    expect(page.locator('[name="decided_on_1"]')).to_have_value("3")
    expect(page.locator('[name="decided_on_2"]')).to_have_value("2002")
    axe_check(page)
    _date(page, "decided_on", 29, 3, 2002)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The date of the decision must be today (28 March 2002) or earlier")
    axe_check(page)
    assert not Decision.objects.filter(assessment=walsall_deferred,
                                       outcome=Decision.Outcome.ACCREDITED).exists()
    _date(page, "decided_on", 28, 3, 2002)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#decided-on")).to_have_text("28 March 2002")
    axe_check(page)
    page.get_by_role("button", name="Confirm: accredit").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Decision letter: accredited")
    expect(page.locator("#letter")).to_contain_text("28 March 2002")
    axe_check(page)
    pdf_url = page.get_by_role("link", name="Download the letter (PDF)").get_attribute("href")
    pdf = page.request.get(pdf_url)
    text = re.sub(r"\s+", " ", "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages))
    assert "28 March 2002" in text
    assert "Walsall LSP is accredited for 2002/03" in text

    assessment = SelfAssessment.objects.get(pk=walsall_deferred.pk)
    decision = assessment.decisions.get(outcome=Decision.Outcome.ACCREDITED)
    assert (assessment.status, decision.decided_on) == ("accredited", dt.date(2002, 3, 28))
    assert decision.events.get().effective_on == dt.date(2002, 3, 28)
    clock.forget()
    assert clock.today() == dt.date(2002, 3, 28)
