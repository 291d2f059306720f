"""Walsall's way back to accreditation on the February 2002 demo, in Chromium: its officer
responds to both areas of concern of the deferral, each with a file, and asks the chair; the
chair signs off with the declaration; the West Midlands reviewer sees the response beside each
concern, starts review round 2 and accredits; Walsall's NRF 2002/03 is then 100% released and
the officer's home shows the decision and the money. axe-core checks every page visited (WCAG
2.2 A and AA). The same journey then runs with JavaScript turned off."""

import re

import pytest
from django.conf import settings
from django.db.models import Sum
from playwright.sync_api import expect

from accreditation.models import DeferralResponse, EvidenceFile, SelfAssessment, Status
from funding.models import Allocation, ReleaseEntry
from tests.accreditation.test_lsp_evidence import pdf_bytes

pytestmark = pytest.mark.e2e

OFFICER = "officer@walsall.lsp.example"
CHAIR = "chair@walsall.lsp.example"
REVIEWER = "reviewer@west-midlands.go.example"
PROGRESS = {
    "R1": "The board agreed its strategic role and the theme groups' terms of reference on "
          "12 March 2002; the minutes show them in use.",
    "R2": "Two community representatives elected through the community empowerment network "
          "joined the board on 19 March 2002 and took part in setting the priorities.",
}


def walsall_2002() -> SelfAssessment:
    return SelfAssessment.objects.get(partnership__slug="walsall", cycle__year_start=2002)


def walsall_nrf_2002() -> tuple[int, int]:
    allocation = Allocation.objects.get(partnership__slug="walsall", fund__code="NRF",
                                        year__start_year=2002)
    released = ReleaseEntry.objects.filter(allocation=allocation).aggregate(
        total=Sum("amount_pence"))["total"] or 0
    return released, allocation.amount_pence


def heading(page):
    return page.get_by_role("heading", level=1)


def sign_in_as(page, sign_in, email):
    sign_in(page, email, settings.DEMO_PASSWORD)
    assert "/sign-in/" not in page.url, f"{email} could not sign in"


def officer_responds(page, sign_in, check):
    sign_in_as(page, sign_in, OFFICER)
    page.get_by_role("link", name="Your partnership").click()
    expect(page.locator("#cycles-walsall")).to_contain_text("Review on 28 March 2002, ")
    page.get_by_role("link", name="Respond to the areas of concern for 2002/03").click()
    expect(heading(page)).to_have_text(
        "Respond to the areas of concern before your review on 28 March 2002")
    expect(page.locator("#response-status")).to_contain_text("Not started")
    check(page)

    for code in ("R1", "R2"):
        page.get_by_role("link", name=f"Write your progress on {code}").click()
        expect(heading(page)).to_contain_text(code)
        check(page)
        page.get_by_label("What progress has the partnership made?").fill(PROGRESS[code])
        page.locator("#id_evidence").set_input_files(files=[{
            "name": f"walsall-{code.lower()}-evidence.pdf", "mimeType": "application/pdf",
            "buffer": pdf_bytes()}])
        page.get_by_role("button", name="Upload file").click()
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
            f"walsall-{code.lower()}-evidence.pdf has been uploaded")
        expect(page.locator("#evidence-files")).to_contain_text(
            f"walsall-{code.lower()}-evidence.pdf")
        check(page)
        page.get_by_role("button", name="Save and return to the response").click()
        expect(page.locator(f"#concern-{code}")).to_contain_text(PROGRESS[code][:40])
        expect(page.locator(f"#concern-{code}")).to_contain_text(
            f"walsall-{code.lower()}-evidence.pdf")

    expect(page.locator("#changes")).to_be_visible()
    check(page)
    page.get_by_role("button", name="Ask the chair to sign off").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "The partnership's chair has been asked to sign off")
    expect(page.locator("#response-status")).to_contain_text("Waiting for sign-off")
    check(page)
    page.get_by_role("button", name="Sign out").click()


def chair_signs_off(page, sign_in, check):
    sign_in_as(page, sign_in, CHAIR)
    page.get_by_role("link", name="Your partnership").click()
    expect(page.locator("#cycles-walsall")).to_contain_text("The officer has asked you to sign off")
    page.get_by_role("link", name=re.compile(
        "^Sign off the response to the areas of concern")).click()
    expect(heading(page)).to_have_text("Sign off the response to the areas of concern")
    expect(page.locator("#concern-R1")).to_contain_text(PROGRESS["R1"][:40])
    check(page)

    page.get_by_role("button", name="Sign off and send the response").click()  # no declaration
    expect(page.locator(".govuk-error-summary")).to_contain_text("Confirm that you have read")
    check(page)
    page.get_by_label(re.compile("I confirm that, as chair, I have read this response")).check()
    page.get_by_role("button", name="Sign off and send the response").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "The response has been signed off and sent")
    expect(page.locator("#response-status")).to_contain_text("Signed off by")
    check(page)
    page.get_by_role("button", name="Sign out").click()


def reviewer_accredits(page, sign_in, check):
    sign_in_as(page, sign_in, REVIEWER)
    page.get_by_role("link", name="Review queue").click()
    deferred = page.locator("#deferred-reviews")
    expect(deferred).to_contain_text("Walsall LSP 2002/03")
    expect(deferred).to_contain_text("Overdue by")
    expect(deferred).to_contain_text("Received")
    check(page)
    deferred.get_by_role("link", name="Walsall LSP 2002/03").click()

    # The response beside each area of concern, the previous round's ratings, what changed.
    expect(page.locator("#round")).to_contain_text("Review round 2")
    expect(page.locator("#no-response")).to_have_count(0)
    for code in ("R1", "R2"):
        card = page.locator(f"#concern-{code}")
        expect(card).to_contain_text(PROGRESS[code][:40])
        expect(card).to_contain_text(f"walsall-{code.lower()}-evidence.pdf")
    expect(page.locator("#requirement-R1")).to_contain_text("Rating in review round 1")
    check(page)

    page.get_by_role("button", name="Start review").click()
    expect(page.locator("#assessment-summary")).to_contain_text("Under review")
    page.get_by_role("link", name="Record your decision").click()
    page.get_by_label("Accredit", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    check(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#funding-effect")).to_contain_text(re.compile(
        r"Walsall will receive all of its £[\d,.]+ 2002/03 NRF allocation \(100%\) now that "
        r"it is accredited"))
    check(page)
    page.get_by_role("button", name="Confirm: accredit").click()
    expect(heading(page)).to_have_text("Decision letter: accredited")
    expect(page.locator("#letter")).to_contain_text("This letter closes review round 2.")
    expect(page.locator("#letter")).to_contain_text("your response to the areas of concern")
    check(page)
    page.get_by_role("button", name="Sign out").click()


def officer_sees_the_money(page, sign_in, check):
    sign_in_as(page, sign_in, OFFICER)
    page.goto("/")  # the officer's home: the decision and the money, as next steps
    expect(page.locator("#next-walsall")).to_contain_text(
        re.compile(r"Latest decision: 2002/03: Accredited"))
    expect(page.locator("#money")).to_contain_text(
        re.compile(r"Walsall LSP: £[\d,.]+ released, £[\d,.]+ held"))
    check(page)
    page.get_by_role("link", name="Your partnership").click()
    row = page.locator("#cycles-walsall tr", has_text="2002/03")
    expect(row).to_contain_text("Accredited")
    funding = page.locator("#funding-walsall tr", has_text="NRF 2002/03")
    expect(funding.locator("td").nth(2)).to_have_text("£0")
    check(page)


def assert_walsall_is_accredited_with_its_money_released():
    assessment = walsall_2002()
    assert (assessment.status, assessment.review_round) == (Status.ACCREDITED, 2)
    response = DeferralResponse.objects.get(assessment=assessment)
    assert response.signed_off_by.email == CHAIR
    assert EvidenceFile.objects.filter(
        concern_response__deferral_response=response).count() == 2
    released, amount = walsall_nrf_2002()
    assert released == amount  # 100% released


def test_walsall_responds_the_chair_signs_off_and_the_reviewer_accredits(page, sign_in, axe_check,
                                                                         demo):
    released, amount = walsall_nrf_2002()
    assert released == amount * 67 // 100
    officer_responds(page, sign_in, axe_check)
    chair_signs_off(page, sign_in, axe_check)
    assert walsall_2002().status == Status.RESPONSE_RECEIVED
    assert walsall_nrf_2002()[0] == released  # a response moves no money
    reviewer_accredits(page, sign_in, axe_check)
    officer_sees_the_money(page, sign_in, axe_check)
    assert_walsall_is_accredited_with_its_money_released()


def test_the_same_journey_works_without_javascript(browser, browser_context_args, sign_in, demo):
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    page = context.new_page()

    def no_check(page):
        """axe needs JavaScript in the page; the markup is the one checked in the test above."""

    try:
        page.goto("/sign-in/")
        expect(page.locator("body")).not_to_have_class(re.compile(r"\bjs-enabled\b"))
        officer_responds(page, sign_in, no_check)
        chair_signs_off(page, sign_in, no_check)
        reviewer_accredits(page, sign_in, no_check)
        officer_sees_the_money(page, sign_in, no_check)
    finally:
        context.close()
    assert_walsall_is_accredited_with_its_money_released()
