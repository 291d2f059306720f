"""The LSP officer and chair in Chromium, on the demo data: Walsall's officer fills the 2003/04
self-assessment (progress on last year's concerns, answers with autosave, an evidence upload),
checks the answers and asks the chair; the chair signs off and sees it submitted. axe-core
checks every page visited (WCAG 2.2 A and AA). The same journey then runs with JavaScript
turned off, and autosave's conflict and signed-out messages are shown in the browser."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accreditation.models import EvidenceFile, SelfAssessment, Status
from accreditation.services.drafting import assessment_start, response_save
from tests.accreditation.test_lsp_evidence import pdf_bytes
from tests.factories import CycleFactory, RoleAssignmentFactory

pytestmark = pytest.mark.e2e

OFFICER = "officer@walsall.lsp.example"
CHAIR = "chair@walsall.lsp.example"
SAVED_AT = re.compile(r"^Saved at \d\d:\d\d$")


def heading(page):
    return page.get_by_role("heading", level=1)


def walsall_2003():
    return SelfAssessment.objects.get(partnership__slug="walsall", cycle__year_start=2003)


def officer_fills_2003_04(page, sign_in, check, *, javascript: bool):
    sign_in(page, OFFICER, settings.DEMO_PASSWORD)
    page.get_by_role("link", name="Your partnership").click()
    expect(heading(page)).to_have_text("Walsall LSP")
    expect(page.locator("#funding-walsall")).to_contain_text("NRF 2002/03")
    check(page)

    page.get_by_role("button", name="Start self-assessment for 2003/04").click()
    expect(heading(page)).to_have_text("2003/04 self-assessment")
    expect(page.locator("#task-concerns-status")).to_have_text("Not started")
    check(page)

    # Last year's areas of concern (R1 and R2, from the deferral) each need a progress report.
    page.get_by_role("link", name="Progress on the areas of concern from 2002/03").click()
    check(page)
    boxes = page.locator("textarea")
    expect(boxes).to_have_count(2)
    for n in range(2):
        boxes.nth(n).fill(f"Progress {n + 1}: the partnership met monthly and recruited members.")
    page.get_by_role("button", name="Save and return to the task list").click()
    expect(page.locator("#task-concerns-status")).to_have_text("Completed")

    # R1: the answer carried forward from 2002/03, changed; autosave says when it saved.
    page.get_by_role("link", name=re.compile(r"^R1 ")).click()
    expect(heading(page)).to_contain_text("R1")
    page.get_by_label("Amber", exact=True).check()
    page.get_by_label("Your case").fill(
        "The board now meets monthly with all partners, and its sub-groups report to it.")
    if javascript:
        expect(page.locator("#autosave-status")).to_have_text(SAVED_AT, timeout=10_000)
        saved = walsall_2003().responses.get(requirement__code="R1")
        assert (saved.self_rating, saved.case.startswith("The board now meets")) == ("amber", True)
    check(page)

    page.locator("#id_evidence").set_input_files(files=[{
        "name": "walsall-board-minutes.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}])
    page.get_by_role("button", name="Upload file").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "walsall-board-minutes.pdf has been uploaded")
    expect(page.locator("#evidence-files")).to_contain_text("walsall-board-minutes.pdf")
    check(page)
    assert page.url.endswith("#evidence")  # the upload brought the officer back to the files
    page.get_by_role("button", name="Save and continue").click()

    # R2: the partnership has no community sector member; the officer says what is being done.
    expect(heading(page)).to_contain_text("R2 Inclusive of all key players")
    # The next requirement opens at its top: no fragment left over from the upload.
    assert "#" not in page.url, page.url
    expect(page.locator("#missing-sectors")).to_contain_text("community")
    check(page)
    page.get_by_label("How are you addressing this?").fill(
        "The Community Empowerment Network has been invited to nominate a member.")
    page.get_by_role("button", name="Save and continue").click()

    for code in ("R3", "R4", "R5", "R6"):
        expect(heading(page)).to_contain_text(code)
        page.get_by_role("button", name="Save and continue").click()
    expect(heading(page)).to_have_text("2003/04 self-assessment")
    check(page)

    page.get_by_role("link", name="Partnership membership").click()
    expect(page.locator("#sectors")).to_contain_text("Missing")
    check(page)
    page.get_by_role("link", name="Back to the 2003/04 self-assessment").click()
    page.get_by_role("link", name="Evidence").click()
    expect(page.locator("main")).to_contain_text("walsall-board-minutes.pdf")
    check(page)
    page.get_by_role("link", name="Back to the task list").click()

    page.get_by_role("link", name="Check your answers").click()
    expect(heading(page)).to_have_text("Check your answers")
    expect(page.locator("#answers")).to_contain_text("The board now meets monthly")
    check(page)
    page.get_by_role("button", name="Confirm and ask the chair to sign off").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "The partnership's chair can now sign off")
    expect(page.locator("#task-sign-off-status")).to_contain_text("In progress")
    page.get_by_role("link", name="See the history of this self-assessment").click()
    expect(page.locator("#timeline")).to_contain_text("R1 evidence added: walsall-board-minutes.pdf")
    check(page)
    page.get_by_role("button", name="Sign out").click()


def chair_signs_off(page, sign_in, check):
    sign_in(page, CHAIR, settings.DEMO_PASSWORD)
    page.get_by_role("link", name="Your partnership").click()
    expect(page.locator("#cycles-walsall")).to_contain_text("The officer has asked you to sign off")
    check(page)
    page.get_by_role("link", name="Sign off and submit for 2003/04").click()
    expect(heading(page)).to_have_text("Sign off and submit")
    check(page)

    page.get_by_role("button", name="Sign off and submit").click()  # without the declaration
    expect(page.locator(".govuk-error-summary")).to_contain_text("Confirm that you have read")
    check(page)

    page.get_by_label(re.compile("I confirm that, as chair")).check()
    page.get_by_role("button", name="Sign off and submit").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("Self-assessment submitted")
    check(page)
    page.get_by_role("link", name="View the submitted self-assessment").click()
    expect(page.locator("main")).to_contain_text("It can no longer be changed")
    check(page)


def test_officer_fills_2003_04_and_the_chair_signs_it_off(page, sign_in, axe_check, demo):
    officer_fills_2003_04(page, sign_in, axe_check, javascript=True)
    chair_signs_off(page, sign_in, axe_check)

    submitted = walsall_2003()
    assert submitted.status == Status.SUBMITTED
    assert submitted.signed_off_by.email == CHAIR
    assert EvidenceFile.objects.filter(response__assessment=submitted).count() == 1


def test_the_same_journey_works_without_javascript(browser, browser_context_args, sign_in, demo):
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    page = context.new_page()

    def no_check(page):
        """axe needs JavaScript in the page; the markup is the one checked in the test above."""

    try:
        page.goto("/sign-in/")
        expect(page.locator("body")).not_to_have_class(re.compile(r"\bjs-enabled\b"))
        officer_fills_2003_04(page, sign_in, no_check, javascript=False)
        chair_signs_off(page, sign_in, no_check)
    finally:
        context.close()
    submitted = walsall_2003()
    assert submitted.status == Status.SUBMITTED
    r1 = submitted.responses.get(requirement__code="R1")
    assert (r1.self_rating, r1.case[:20]) == ("amber", "The board now meets ")


# --- Autosave tells the officer when it cannot save ------------------------------------------------


@pytest.fixture
def draft():
    officer = RoleAssignmentFactory(officer=True, user__email="officer@borough.lsp.example")
    assessment = assessment_start(partnership=officer.partnership, cycle=CycleFactory(),
                                  by=officer.user)
    return assessment, officer.user


def test_a_change_made_elsewhere_stops_autosave_with_a_warning_and_keeps_the_text(
    page, sign_in, axe_check, draft
):
    assessment, officer = draft
    sign_in(page, officer.email)
    page.goto(f"/assessments/{assessment.pk}/requirements/R1/")
    colleague = RoleAssignmentFactory(officer=True, partnership=assessment.partnership).user
    response = assessment.responses.get(requirement__code="R1")
    response_save(response=response, by=colleague, self_rating="green",
                  case="The colleague's version.", expected_version=1)

    page.get_by_label("Your case").fill("My version, typed while they saved theirs.")

    problem = page.locator("#autosave-problem")
    expect(problem).to_contain_text("This answer was changed by", timeout=10_000)
    expect(problem.locator(".govuk-warning-text")).to_be_visible()
    expect(page.get_by_label("Your case")).to_have_value("My version, typed while they saved theirs.")
    axe_check(page)
    response.refresh_from_db()
    assert response.case == "The colleague's version."

    # Saving with the button shows both versions; saving again then keeps the officer's text.
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("This answer was changed by")
    expect(page.locator("#saved-now")).to_contain_text("The colleague's version.")
    expect(page.get_by_label("Your case")).to_have_value("My version, typed while they saved theirs.")
    axe_check(page)
    page.get_by_role("button", name="Save and continue").click()
    expect(heading(page)).to_contain_text("R2")
    response.refresh_from_db()
    assert response.case == "My version, typed while they saved theirs."


def test_a_signed_out_officer_is_told_to_copy_their_text(page, sign_in, axe_check, draft):
    assessment, officer = draft
    sign_in(page, officer.email)
    page.goto(f"/assessments/{assessment.pk}/requirements/R2/")

    page.context.clear_cookies(name="sessionid")
    page.get_by_label("Your case").fill("Text that must not be lost.")

    expect(page.locator("#autosave-problem")).to_contain_text(
        "You have been signed out", timeout=10_000)
    expect(page.locator("#autosave-problem")).to_contain_text("Copy your text")
    expect(page.get_by_label("Your case")).to_have_value("Text that must not be lost.")
    axe_check(page)


def test_what_was_typed_before_the_autosave_script_ran_is_saved(page, sign_in, draft):
    """On a slow connection the page shows, and takes typing, before its script has arrived.
    The script is held back here until the officer has typed; it then saves what it finds."""
    assessment, officer = draft
    sign_in(page, officer.email)
    held = []
    page.route("**/js/autosave.js", lambda route: held.append(route))
    page.goto(f"/assessments/{assessment.pk}/requirements/R3/", wait_until="commit")
    page.get_by_label("Your case").fill("Typed before the script ran.")
    page.wait_for_timeout(100)  # let the browser ask for the script, and hold it
    assert len(held) == 1
    held[0].continue_()

    expect(page.locator("#autosave-status")).to_have_text(SAVED_AT, timeout=10_000)
    response = assessment.responses.get(requirement__code="R3")
    assert (response.case, response.version) == ("Typed before the script ran.", 2)
