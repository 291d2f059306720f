"""The Government Office reviewer in Chromium: the queue, a review from start to deferral with
the funding effect stated before confirming, and Walsall's re-review after its review date ending
in accreditation, with the letter as a page and a PDF and the email to the officer. axe-core
checks every page visited (WCAG 2.2 A and AA)."""

import datetime as dt
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from accreditation.models import SelfAssessment
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

REVIEWER = "reviewer@west-midlands.go.example"


@pytest.fixture
def west_midlands():
    """Walsall deferred on 28 February 2002 with its review on 28 March 2002 (the demo's story),
    and Sandwell submitted and waiting, both in the West Midlands."""
    region = RegionFactory(name="West Midlands", slug="west-midlands")
    cycle = CycleFactory()
    ReleasePolicyFactory(governing_cycle=cycle)
    reviewer = RoleAssignmentFactory(reviewer=True, region=region, user__email=REVIEWER,
                                     user__full_name="Pat Reviewer").user
    areas = {}
    for name, pence in (("Walsall", 383_000_000), ("Sandwell", 600_000_000)):
        partnership = PartnershipFactory(
            local_authority=LocalAuthorityFactory(name=name, region=region))
        MemberFactory(partnership=partnership, chair=True, representative=f"{name} Chair",
                      organisation=f"{name} Council")
        AllocationFactory(partnership=partnership, amount_pence=pence)
        slug = partnership.slug
        RoleAssignmentFactory(officer=True, partnership=partnership,
                              user__email=f"officer@{slug}.lsp.example")
        RoleAssignmentFactory(chair=True, partnership=partnership,
                              user__email=f"chair@{slug}.lsp.example")
        areas[name] = partnership
    walsall = SelfAssessmentFactory(partnership=areas["Walsall"], cycle=cycle, deferred=True,
                                    reviewer_user=reviewer, review_on=dt.date(2002, 3, 28))
    sandwell = SelfAssessmentFactory(partnership=areas["Sandwell"], cycle=cycle, submitted=True)
    return {"walsall": walsall, "sandwell": sandwell}


def test_reviewer_reviews_and_defers_seeing_the_funding_effect_first(page, sign_in, axe_check,
                                                                      west_midlands):
    sign_in(page, REVIEWER)
    page.get_by_role("link", name="Review queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Self-assessments to review")
    expect(page.locator("#queue")).to_contain_text("Sandwell LSP")
    axe_check(page)

    # Filters work by GET, without JavaScript.
    page.get_by_label("Status").select_option("submitted")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#queue tbody tr")).to_have_count(1)
    axe_check(page)

    page.get_by_role("link", name="Sandwell LSP").click()
    axe_check(page)
    page.get_by_role("button", name="Start review").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You started the review")
    axe_check(page)

    page.get_by_role("link", name="Rate R1").click()
    page.get_by_label("Amber").check()
    page.get_by_role("button", name="Save rating").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Give the reason")
    axe_check(page)
    page.get_by_label("Reason").fill("The partnership has not shown community involvement.")
    page.get_by_role("button", name="Save rating").click()
    expect(page.locator("#requirement-R1")).to_contain_text("Amber")

    page.get_by_role("link", name="Add a stakeholder view").click()
    axe_check(page)
    page.get_by_label("Organisation").fill("Sandwell Council for Voluntary Organisations")
    page.get_by_label("Voluntary").check()
    page.get_by_label("Has concerns").check()
    page.get_by_label("What they said").fill("The voluntary sector was consulted late.")
    page.get_by_label("Day").fill("12")
    page.get_by_label("Month").fill("2")
    page.get_by_label("Year").fill("2002")
    page.get_by_role("button", name="Save stakeholder view").click()
    expect(page.locator("#stakeholder-views + .govuk-summary-card")).to_contain_text(
        "Sandwell Council for Voluntary Organisations")

    page.get_by_role("link", name="Record your decision").click()
    axe_check(page)
    page.get_by_label("Defer, with areas of concern and a review date").check()
    page.get_by_role("button", name="Continue").click()
    axe_check(page)
    page.get_by_role("button", name="Continue").click()  # nothing entered: the errors say what
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the review date")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter at least one area of concern")
    axe_check(page)

    review_on = dt.date.today() + dt.timedelta(days=28)
    page.locator('[name="review_date_0"]').fill(str(review_on.day))
    page.locator('[name="review_date_1"]').fill(str(review_on.month))
    page.locator('[name="review_date_2"]').fill(str(review_on.year))
    r1 = page.locator("fieldset", has_text="R1 Requirement R1")
    r1.get_by_label("Concern").fill("Community involvement is not shown.")
    r1.get_by_label("Action required").fill("Set up a community forum and report to the GO.")
    page.get_by_role("button", name="Continue").click()

    expect(page.locator("#funding-effect")).to_contain_text(
        "Sandwell will receive £4,020,000 of its £6,000,000 2002/03 NRF allocation (67%) "
        "until a successful review; the other £1,980,000 is held.")
    axe_check(page)
    page.get_by_role("button", name="Confirm: defer accreditation").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Decision letter: deferred")
    expect(page.locator("#letter")).to_contain_text("Dear Sandwell Chair")
    expect(page.locator("#letter")).to_contain_text("the other £1,980,000 is held")
    axe_check(page)
    assert SelfAssessment.objects.get(pk=west_midlands["sandwell"].pk).status == "deferred"


def test_walsall_is_reviewed_after_its_review_date_and_accredited(page, sign_in, axe_check,
                                                                 west_midlands, mailoutbox):
    mailoutbox.clear()  # the fixture's own deferral emailed Walsall on 28 February
    sign_in(page, REVIEWER)
    page.goto("/review/")
    expect(page.locator("#deferred-reviews")).to_contain_text("Walsall LSP 2002/03")
    expect(page.locator("#deferred-reviews")).to_contain_text("None yet")
    expect(page.locator("#queue tbody tr").first).to_contain_text("Review due")
    axe_check(page)

    page.locator("#deferred-reviews").get_by_role("link", name="Walsall LSP 2002/03").click()
    expect(page.locator("#no-response")).to_contain_text("No response arrived")
    expect(page.locator("#assessment-summary")).to_contain_text("28 March 2002")
    axe_check(page)
    page.get_by_role("button", name="Start review").click()
    expect(page.locator("#assessment-summary")).to_contain_text("Under review")

    page.get_by_role("link", name="Record your decision").click()
    page.get_by_label("Accredit", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    axe_check(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#funding-effect")).to_contain_text(
        "Walsall will receive all of its £3,830,000 2002/03 NRF allocation (100%) "
        "now that it is accredited.")
    axe_check(page)
    page.get_by_role("button", name="Confirm: accredit").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Decision letter: accredited")
    axe_check(page)
    pdf_url = page.get_by_role("link", name="Download the letter (PDF)").get_attribute("href")
    pdf = page.request.get(pdf_url)
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment; ")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "Walsall" in text
    assert "will receive all of its £3,830,000 2002/03 NRF allocation" in re.sub(r"\s+", " ", text)

    assessment = SelfAssessment.objects.get(pk=west_midlands["walsall"].pk)
    assert (assessment.status, assessment.review_round) == ("accredited", 2)
    to_officer = [m for m in mailoutbox if "officer@walsall.lsp.example" in m.to]
    assert len(to_officer) == 1
    assert "Accredited" in to_officer[0].subject
    assert to_officer[0].attachments[0][2] == "application/pdf"
