"""The national dashboard as at a date in Chromium, through the GOV.UK date input: as at
27 March 2002 Walsall's third is held; after its review is recorded as accredited on 28 March
2002, as at 28 March it is released, and as at 27 March it is still held. Walsall's funding page
as at a date, and a date that is not real (the error summary). axe-core checks each page."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accreditation.models import SelfAssessment
from accreditation.services.decisions import assessment_accredit
from accreditation.services.review import assessment_start_review
from tests.factories import RoleAssignmentFactory
from tests.reporting.dashboard_world import build_world

pytestmark = pytest.mark.e2e

WALSALL_PENCE = 612_345_679
HELD = WALSALL_PENCE - WALSALL_PENCE * 67 // 100  # £2,020,740.75


def _pounds(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


def _show_as_at(page, day: dt.date) -> None:
    form = page.locator("#as-at-form")
    form.get_by_label("Day").fill(str(day.day))
    form.get_by_label("Month").fill(str(day.month))
    form.get_by_label("Year").fill(str(day.year))
    form.get_by_role("button", name="Show the figures").click()
    page.wait_for_load_state()


def _walsall_held(page):
    return page.locator('tr[data-partnership="walsall"] [data-figure="held"]')


def test_dashboard_as_at_before_and_after_walsalls_review(page, sign_in, axe_check):
    world = build_world()
    analyst = RoleAssignmentFactory(analyst=True, user__email="analyst@as-at.example").user
    analyst.set_password("a long test password 2002")
    analyst.save()
    sign_in(page, analyst.email, "a long test password 2002")
    page.goto("/nru/?region=west-midlands")

    _show_as_at(page, dt.date(2002, 3, 27))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "National dashboard: NRF 2002/03 as at 27 March 2002")
    expect(_walsall_held(page)).to_have_text(_pounds(HELD))
    expect(page.locator('tr[data-partnership="walsall"]')).to_contain_text("Deferred")
    assert "region=west-midlands" in page.url  # the filters were kept
    axe_check(page)

    reviewer = RoleAssignmentFactory(reviewer=True, region=world["regions"]["west-midlands"]).user
    walsall = SelfAssessment.objects.get(partnership=world["partnerships"]["Walsall"],
                                         cycle=world["cycle"])
    review_day = dt.date(2002, 3, 28)
    walsall = assessment_start_review(assessment=walsall, by=reviewer, today=review_day)
    assessment_accredit(assessment=walsall, by=reviewer, on=review_day)

    _show_as_at(page, review_day)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "National dashboard: NRF 2002/03 as at 28 March 2002")
    expect(_walsall_held(page)).to_have_text("£0.00")
    expect(page.locator('tr[data-partnership="walsall"]')).to_contain_text("Accredited")
    axe_check(page)

    _show_as_at(page, dt.date(2002, 3, 27))  # the past has not changed
    expect(_walsall_held(page)).to_have_text(_pounds(HELD))

    page.locator('tr[data-partnership="walsall"]').get_by_role("link", name="Walsall").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Walsall LSP as at 27 March 2002")
    page.get_by_role("link", name=re.compile("funding page")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Walsall LSP: funding as at 27 March 2002")
    expect(page.locator('#allocations tr[data-allocation="NRF-2002"]')).to_contain_text(
        "Deferred: 67%")
    axe_check(page)

    page.goto("/nru/?as_at=2002-02-30")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("must be a real date")
    summary.get_by_role("link").first.click()
    expect(page.locator("#id_as_at_0")).to_be_focused()
    axe_check(page)
