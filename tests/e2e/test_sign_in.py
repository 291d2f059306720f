"""Signing in and out in Chromium, through the real form, for every kind of role."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, RoleAssignmentFactory

pytestmark = pytest.mark.e2e

ROLE_KINDS = {
    "officer": ("LSP officer", "Walsall LSP (West Midlands)"),
    "chair": ("LSP chair", "Walsall LSP (West Midlands)"),
    "reviewer": ("Government Office reviewer", "Government Office for West Midlands"),
    "analyst": ("NRU analyst", "National: every partnership and region"),
    "admin": ("NRU administrator", "National: every partnership and region"),
}


def _assign(kind: str):
    """A user holding one role of `kind`, scoped to Walsall / the West Midlands where scoped."""
    traits = {kind: True}
    if kind in ("officer", "chair"):
        traits.update(
            partnership__local_authority__name="Walsall",
            partnership__local_authority__region__name="West Midlands",
        )
    elif kind == "reviewer":
        traits.update(region__name="West Midlands")
    return RoleAssignmentFactory(user__email=f"{kind}@walsall.example", user__full_name="", **traits).user


def test_sign_in_page_is_accessible_and_usable_by_keyboard(page, axe_check):
    """The first tab stop is the skip link, and it moves focus to the main content."""
    page.goto("/sign-in/")
    expect(page).to_have_title("Sign in – LSP Portal")
    axe_check(page)

    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Skip to main content")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


@pytest.mark.parametrize("kind", ROLE_KINDS)
def test_each_role_signs_in_and_sees_their_scope(page, sign_in, axe_check, kind):
    user = _assign(kind)
    role, scope = ROLE_KINDS[kind]

    sign_in(page, user.email)

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page).to_have_title("Home – LSP Portal")
    expect(page.get_by_role("heading", level=1)).to_have_text(user.email)
    row = page.locator(".govuk-summary-list__row", has_text=role)
    expect(row.locator("dd")).to_have_text(scope)
    axe_check(page)


def test_wrong_password_shows_the_error_summary_focused(page, sign_in, axe_check):
    user = _assign("officer")

    sign_in(page, user.email, "not-the-password")

    expect(page).to_have_title("Error: Sign in – LSP Portal")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Email address or password is not correct")
    expect(summary).to_be_focused()
    summary.get_by_role("link").click()
    expect(page.get_by_label("Email address")).to_be_focused()
    axe_check(page)


def test_sign_out_button_signs_out(page, sign_in, axe_check):
    user = _assign("analyst")
    sign_in(page, user.email, PASSWORD)

    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_title("Sign in – LSP Portal")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("You have signed out")
    axe_check(page)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/$"))


def test_pages_keep_to_the_content_security_policy(page, sign_in, live_server):
    """Nothing is refused under the enforced CSP (the `page` fixture fails on a violation), the
    GOV.UK Frontend module runs, and the fonts load from our own origin."""
    font_responses = []
    page.on("response", lambda r: font_responses.append(r) if ".woff" in r.url else None)

    response = page.goto("/sign-in/")

    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    expect(page.locator("[data-module='govuk-skip-link']")).to_have_attribute(
        "data-govuk-skip-link-init", ""
    )
    families = page.evaluate(
        "() => document.fonts.ready.then(fs => [...fs].filter(f => f.status === 'loaded').map(f => f.family))"
    )
    assert any("GDS Transport" in family for family in families), families
    assert font_responses, "no font was requested"
    for font in font_responses:
        assert font.ok and font.url.startswith(live_server.url), (font.url, font.status)

    # And a page with a form the user posted: nonces must be fresh on every response.
    sign_in(page, _assign("chair").email)
    expect(page).to_have_title("Home – LSP Portal")
