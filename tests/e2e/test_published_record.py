"""The public decisions pages in Chromium, signed out: the 2002/03 written answer as it was
announced, Walsall's later review dated beneath it, and the open data with both statuses.
axe-core checks each page (WCAG 2.2 A and AA)."""

import csv
import datetime as dt
import io
import re

import pytest
from playwright.sync_api import expect

from accreditation.models import SelfAssessment
from accreditation.services.decisions import assessment_accredit
from accreditation.services.review import assessment_start_review
from tests.factories import RoleAssignmentFactory
from tests.reporting.dashboard_world import build_world

pytestmark = pytest.mark.e2e

UPDATE = ("28 March 2002: Walsall LSP accredited following review by the Government Office for "
          "West Midlands; its remaining NRF 2002/03 allocation released")


def test_the_announcement_stays_and_the_review_is_dated_beneath_it(page, axe_check):
    world = build_world()
    page.goto("/decisions/2002/")
    answer = page.locator("#cycle-2002 > p").first
    expect(answer).to_contain_text("2 partnerships have been accredited and 1 deferred")
    announced = answer.inner_text()
    expect(page.get_by_role("heading", name="Decisions since the announcement")).to_have_count(0)

    reviewer = RoleAssignmentFactory(reviewer=True, region=world["regions"]["west-midlands"]).user
    walsall = SelfAssessment.objects.get(partnership=world["partnerships"]["Walsall"],
                                         cycle=world["cycle"])
    review_day = dt.date(2002, 3, 28)
    walsall = assessment_start_review(assessment=walsall, by=reviewer, today=review_day)
    assessment_accredit(assessment=walsall, by=reviewer, on=review_day)

    page.goto("/decisions/2002/")
    expect(answer).to_have_text(announced)
    west = page.locator('table[data-region="West Midlands"]')
    expect(west.get_by_role("row", name=re.compile("Walsall"))).to_contain_text(
        "Deferred pending review (review by 28 March 2002)")
    expect(page.get_by_role("heading", level=2, name="Decisions since the announcement")).to_be_visible()
    expect(page.locator("#updates-2002 li")).to_have_text([UPDATE])
    axe_check(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download these decisions as CSV (open data)").click()
    rows = list(csv.DictReader(io.StringIO(download_info.value.path().read_text())))
    walsall_row = next(r for r in rows if r["authority"] == "Walsall")
    assert (walsall_row["status_announced"], walsall_row["status_current"],
            walsall_row["status_current_since"]) == ("deferred", "accredited", "2002-03-28")

    page.goto("/decisions/")
    expect(page.locator("#updates-2002 h3")).to_have_text("Decisions since the announcement")
    expect(page.locator("#updates-2002 li")).to_have_text([UPDATE])
    axe_check(page)
