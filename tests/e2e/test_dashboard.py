"""NRU staff and the public in Chromium: the analyst's national dashboard on the February 2002
demo (filter to the West Midlands, Walsall deferred with a third held, sort, drill down, download
the XLSX), the administrator's allocation import, and the public decisions page signed out.
axe-core checks every page visited (WCAG 2.2 A and AA); nothing needs JavaScript to work."""

import io
import re
from decimal import Decimal

import pytest
from django.conf import settings
from openpyxl import load_workbook
from playwright.sync_api import expect

from funding.models import Allocation
from tests.factories import RoleAssignmentFactory
from tests.reporting.dashboard_world import build_world

pytestmark = pytest.mark.e2e


def _pounds(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


def test_analyst_filters_sorts_drills_down_and_downloads(page, sign_in, axe_check, demo):
    walsall = Allocation.objects.get(partnership__slug="walsall", fund__code="NRF",
                                     year__start_year=2002)
    held = walsall.amount_pence - walsall.amount_pence * 67 // 100

    sign_in(page, "analyst@nru.example", settings.DEMO_PASSWORD)
    page.goto("/nru/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^National dashboard: NRF 2002/03 as at \d{1,2} \w+ \d{4}$"))
    expect(page.locator('[data-figure="anticipated"]')).to_have_text("£300,000,000")
    expect(page.get_by_role("img", name=re.compile("released and held by region"))).to_be_visible()
    axe_check(page)

    page.get_by_label("Region", exact=True).select_option(label="West Midlands")
    page.get_by_role("button", name="Apply filters").click()
    table = page.locator("#partnership-table")
    expect(table.locator("tbody tr")).to_have_count(7)
    row = table.locator('tr[data-partnership="walsall"]')
    expect(row).to_contain_text("Deferred")
    expect(row.locator('[data-figure="held"]')).to_have_text(_pounds(held))
    axe_check(page)

    # Money columns sort largest first: Walsall, the only one with money held, comes top and
    # the region filter is kept.
    table.get_by_role("link", name=re.compile("^Held")).click()
    expect(table.locator("tbody tr").first).to_have_attribute("data-partnership", "walsall")
    expect(table.locator('th[aria-sort="descending"]')).to_contain_text("Held")
    expect(table.locator("tbody tr")).to_have_count(7)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download this table as XLSX (Excel)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(download.path().read_bytes()))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(n for n, r in enumerate(rows) if r[0] == "Authority")
    table_rows = [dict(zip(rows[header_at], r, strict=True)) for r in rows[header_at + 1:]]
    assert len(table_rows) == 7
    first = table_rows[0]
    assert first["Authority"] == "Walsall"
    assert int(Decimal(str(first["Held NRF 2002/03 (£)"])) * 100) == held
    assert rows[0][0] == "Authority"  # the header row first; what the file is, on "Notes"
    notes = [r[:2] for r in workbook["Notes"].iter_rows(values_only=True)]
    assert ("Filters", "region: West Midlands; status: any; provenance: any") in notes

    row.get_by_role("link", name="Walsall").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Walsall LSP as at "))
    expect(page.locator("#allocations")).to_contain_text(_pounds(held))
    expect(page.locator("#timeline")).to_contain_text("deferred")
    axe_check(page)


def test_public_decisions_page_signed_out(page, axe_check):
    build_world()
    page.goto("/decisions/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Accreditation of Local Strategic Partnerships: published decisions")
    west = page.locator('table[data-region="West Midlands"]')
    expect(west.get_by_role("row", name=re.compile("Walsall"))).to_contain_text("Deferred pending review")
    expect(page.get_by_role("link", name="Download these decisions as CSV (open data)")).to_be_visible()
    axe_check(page)
    page.goto("/api/docs/")
    expect(page.get_by_role("heading", level=1)).to_have_text("LSP Portal read API")
    axe_check(page)


def test_admin_previews_an_import_with_errors_then_a_good_one(page, sign_in, axe_check, tmp_path):
    build_world()
    RoleAssignmentFactory(admin=True, user__email="admin@nru.example")
    sign_in(page, "admin@nru.example")
    page.goto("/nru/")
    page.get_by_role("link", name="Import allocations from a CSV or XLSX file").click()
    axe_check(page)

    bad = tmp_path / "bad.csv"
    bad.write_text("authority,fund,year,amount,source\nWalsall,NRF,2002/03,-1,HL2003\n")
    page.get_by_label("Upload a file").set_input_files(str(bad))
    page.get_by_role("button", name="Preview changes").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("nothing has been imported")
    expect(page.get_by_role("button", name=re.compile("^Import"))).to_have_count(0)
    axe_check(page)

    good = tmp_path / "good.csv"
    good.write_text("authority,fund,year,amount,source\nWalsall,NRF,2002/03,4613412.50,HL2003\n")
    page.get_by_role("link", name="Upload a different file").click()
    page.get_by_label("Upload a file").set_input_files(str(good))
    page.get_by_role("button", name="Preview changes").click()
    expect(page.locator("#import-changes")).to_contain_text("£4,613,412.50")
    axe_check(page)
    page.get_by_role("button", name="Import 1 figure").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("1 allocation changed")
    assert Allocation.objects.get(partnership__slug="walsall", year__start_year=2002).amount_pence == (
        461_341_250)
