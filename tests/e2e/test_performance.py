"""Targets and progress in Chromium: Walsall's officer adds a national floor target and a
progress return (meeting the forms' error messages on the way), and the West Midlands reviewer
sees the partnership's progress beside its self-rating of "Common priorities and targets" on
the review page. NRU sees the national chart. axe-core checks every new page (WCAG 2.2 A, AA)."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import (
    CycleFactory,
    LocalAuthorityFactory,
    PartnershipFactory,
    RegionFactory,
    RoleAssignmentFactory,
    SelfAssessmentFactory,
)
from tests.performance.factories import FloorTargetFactory

pytestmark = pytest.mark.e2e

OFFICER = "officer@walsall.lsp.example"
REVIEWER = "reviewer@west-midlands.go.example"
ANALYST = "analyst@nru.example"
BURGLARY = ("Reduce domestic burglary by 25% by 2005, with no local authority area having more "
            "than three times the national rate")


@pytest.fixture
def walsall():
    """Walsall's 2002/03 self-assessment, submitted, waiting for the West Midlands reviewer;
    the national floor targets on crime and health."""
    region = RegionFactory(name="West Midlands", slug="west-midlands")
    partnership = PartnershipFactory(local_authority=LocalAuthorityFactory(name="Walsall", region=region))
    RoleAssignmentFactory(officer=True, partnership=partnership, user__email=OFFICER)
    RoleAssignmentFactory(reviewer=True, region=region, user__email=REVIEWER)
    RoleAssignmentFactory(analyst=True, user__email=ANALYST)
    FloorTargetFactory(theme="crime", wording=BURGLARY, spending_review="SR2000")
    FloorTargetFactory(theme="health", department="Department of Health",
                       wording="By 2010, reduce health inequalities by 10%")
    cycle = CycleFactory(year_start=2002, requirements=3)
    return SelfAssessmentFactory(partnership=partnership, cycle=cycle, submitted=True)


def test_officer_records_a_target_and_its_progress_and_the_reviewer_sees_it(
        page, sign_in, axe_check, walsall):
    sign_in(page, OFFICER)
    page.get_by_role("link", name="Targets").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Targets and progress")
    expect(page.locator("#standing-counts")).to_have_text(
        "0 targets: 0 on track, 0 at risk, 0 off track, 0 with no return yet.")
    axe_check(page)

    # An empty form: every problem at once, each linked to its field.
    page.get_by_role("link", name="Add a target").click()
    axe_check(page)
    page.get_by_role("button", name="Save the target").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select which target this is")
    expect(summary).to_contain_text("Enter the baseline value")
    expect(summary).to_be_focused()
    axe_check(page)

    page.get_by_label(BURGLARY).check()
    page.get_by_label("Crime", exact=True).check()
    page.get_by_label("Title").fill("Fewer burglaries in Walsall")
    page.get_by_label("Indicator").fill("Domestic burglaries per 1,000 households")
    page.get_by_label("Rate per 1,000", exact=True).check()
    baseline = page.get_by_role("group", name="Baseline")
    baseline.get_by_label("Value").fill("40")
    baseline.get_by_label("Year").fill("2001")
    target = page.get_by_role("group", name="Target", exact=True)
    target.get_by_label("Value").fill("30")
    target.get_by_label("Year").fill("2000")  # before the baseline: refused
    page.get_by_label("Lead partner organisation").fill("West Midlands Police")
    page.get_by_role("button", name="Save the target").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The target year must be after the baseline year (2001/02)")
    axe_check(page)
    page.get_by_role("group", name="Target", exact=True).get_by_label("Year").fill("2005")
    page.get_by_role("button", name="Save the target").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "‘Fewer burglaries in Walsall’ has been added")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fewer burglaries in Walsall")
    expect(page.locator("#target-summary")).to_contain_text("30 by 2005/06 (lower is better)")
    axe_check(page)

    # A return behind the trajectory (by exactly the amber tolerance) needs a commentary.
    page.get_by_role("link", name="Add a progress return").click()
    axe_check(page)
    page.get_by_label("2002/03").check()
    page.get_by_label("Actual value in the year").fill("38.5")
    page.get_by_role("button", name="Save the return").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The target is at risk in 2002/03: say why, and what the partnership is doing about it")
    axe_check(page)
    page.get_by_label("Commentary").fill("Two estates started the lock-fitting scheme late.")
    page.get_by_role("button", name="Save the return").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "The 2002/03 return has been saved: at risk")
    card = page.locator("#return-2002")
    expect(card.locator(".govuk-tag")).to_have_text("At risk")
    card.get_by_text("How the 2002/03 judgement was made").click()
    expect(card).to_contain_text("the expected value is 40 − 10 × 1/4 = 37.5.")
    expect(card).to_contain_text("is 1 higher than expected. Up to 1 is allowed")
    expect(card).to_contain_text("So it is at risk (amber).")
    axe_check(page)
    page.get_by_role("button", name="Sign out").click()

    # The region's reviewer, on the review page.
    sign_in(page, REVIEWER)
    page.goto(f"/review/assessments/{walsall.pk}/")
    r3 = page.locator("#requirement-R3")
    summary = r3.locator("#progress-summary")
    expect(summary).to_contain_text("Each target's latest progress return for 2002/03 or before.")
    expect(summary).to_contain_text("1 target: 0 on track, 1 at risk, 0 off track.")
    expect(summary.get_by_role("row", name=re.compile("Fewer burglaries in Walsall"))).to_contain_text(
        "2002/03: 38.5 (target 30 by 2005/06)")
    expect(r3).to_contain_text("Partnership's rating")
    axe_check(page)

    summary.get_by_role("link", name="Fewer burglaries in Walsall").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fewer burglaries in Walsall")
    expect(page.get_by_role("link", name="Add a progress return")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Change"))).to_have_count(0)
    axe_check(page)

    page.get_by_role("link", name="Targets", exact=True).click()
    expect(page.locator("#partnerships")).to_contain_text("Walsall LSP")
    axe_check(page)


def test_nru_sees_the_national_chart_table_and_export(page, sign_in, axe_check, walsall):
    sign_in(page, ANALYST)
    page.get_by_role("link", name="Targets").click()
    axe_check(page)
    page.get_by_role("link", name="See targets by theme and region nationally").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Targets by theme and region")
    expect(page.get_by_role("img", name=re.compile("Standing of targets by region"))).to_be_visible()
    expect(page.locator("#by-region")).to_contain_text("West Midlands")
    axe_check(page)

    page.get_by_label("Theme").select_option("crime")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=2, name=re.compile("crime targets"))).to_be_visible()
    axe_check(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download every theme and region as a CSV file").click()
    assert download.value.suggested_filename == "targets-by-theme-and-region.csv"

    page.goto("/performance/floor-targets/")
    expect(page.get_by_role("heading", level=3, name=BURGLARY)).to_be_visible()
    axe_check(page)
