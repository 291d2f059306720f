"""A partnership's funding page in Chromium: Walsall's officer finds it from their home page,
reads 67% released while deferred and follows the timeline to the deferral letter; the NRU
administrator follows a policy change's entry to the policy; the banner while a recompute is
owed. axe-core checks the page in each state (WCAG 2.2 A and AA)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from core.models import User
from funding.ledger import releases_recompute
from funding.policies import release_policy_change
from tests.factories import RoleAssignmentFactory
from tests.funding.celery_control import broker_down
from tests.funding.conftest import WALSALL_2002_PENCE, make_scenario

pytestmark = pytest.mark.e2e

OFFICER = "officer@walsall.lsp.example"
ADMIN = "admin@nru.example"


def _pounds(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


@pytest.fixture
def walsall():
    """Walsall deferred on 28 February 2002, its ledger brought up to date whether or not a
    worker serves this process."""
    with broker_down():
        scenario = make_scenario()
        scenario.defer()
    releases_recompute(partnership=scenario.partnership)
    RoleAssignmentFactory(officer=True, partnership=scenario.partnership, user__email=OFFICER)
    RoleAssignmentFactory(admin=True, user__email=ADMIN, user__full_name="Nina Admin")
    return scenario


def test_officer_reads_the_money_and_follows_the_timeline_to_the_decision(
        page, sign_in, axe_check, walsall):
    sign_in(page, OFFICER)
    page.goto("/assessments/")
    page.get_by_role("link", name=re.compile("See every movement of Walsall LSP's funding")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Walsall LSP: funding as at "))
    row = page.locator('#allocations tr[data-allocation="NRF-2002"]')
    expect(row.locator('[data-figure="released"]')).to_have_text(_pounds(WALSALL_2002_PENCE * 67 // 100))
    expect(row.locator('[data-figure="held"]')).to_have_text("£1,263,900.00")
    expect(row).to_contain_text("Deferred: 67%")
    expect(page.locator("#recompute-owed")).to_have_count(0)
    axe_check(page)

    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Decision deferred by GO West Midlands")
    timeline.get_by_role("link", name=re.compile("^Read the decision")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Decision letter")
    expect(page.get_by_text("Walsall LSP · 2002/03")).to_be_visible()


def test_administrator_sees_the_owed_banner_then_follows_a_policy_change(
        page, sign_in, axe_check, walsall):
    admin = User.objects.get(email=ADMIN)
    with broker_down():  # the change commits and its recompute stays owed
        release_policy_change(policy=walsall.policy, by=admin, reason="Deferred share raised",
                              fraction_deferred=Decimal("0.7"))

    sign_in(page, ADMIN)
    page.goto(f"/funding/partnerships/{walsall.partnership.slug}/")
    banner = page.locator("#recompute-owed")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("These figures are being brought up to date.")
    axe_check(page)

    releases_recompute(partnership=walsall.partnership)
    page.reload()
    expect(page.locator("#recompute-owed")).to_have_count(0)
    row = page.locator('#allocations tr[data-allocation="NRF-2002"]')
    expect(row.locator('[data-figure="released"]')).to_have_text(_pounds(WALSALL_2002_PENCE * 70 // 100))
    timeline = page.locator("#timeline")
    expect(timeline.locator("tbody tr").first).to_contain_text(
        "Release policy changed by Nina Admin: Deferred share raised")
    axe_check(page)

    timeline.get_by_role("link", name=re.compile("^See the policy change")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("NRF 2002/03")
    expect(page.get_by_text("Deferred share raised")).to_be_visible()
