"""The session timeout warning in Chromium, with the page's clock fast-forwarded."""

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from tests.factories import RoleAssignmentFactory, UserFactory
from tests.polling import in_browser, wait_for

pytestmark = pytest.mark.e2e

# The session's end as the page's timeout warning has it (static/js/timeout-warning.js).
DEADLINE = "Number(localStorage.getItem('lsp-portal:session-deadline'))"


def _wait_until_moved(page, before: float) -> None:
    """Polled from here: the page's CSP refuses the eval that wait_for_function needs."""
    wait_for(lambda: page.evaluate(DEADLINE) > before, timeout=5, every=0.02,
             pause=in_browser(page), message="the page never moved its deadline")


@pytest.fixture
def analyst():
    return RoleAssignmentFactory(analyst=True, user=UserFactory(email="analyst@nru.test")).user


def test_the_warning_comes_two_minutes_before_sign_out_and_stay_signed_in_keeps_the_session(
        page, sign_in, axe_check, analyst, live_server):
    page.clock.install()
    sign_in(page, analyst.email)
    dialog = page.get_by_role("dialog", name="You’re about to be signed out")
    expect(dialog).to_be_hidden()

    page.clock.run_for("27:50")
    expect(dialog).to_be_hidden()
    page.clock.run_for("00:15")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("we will sign you out in 2 minutes")
    axe_check(page)

    with page.expect_response(re.compile(r"/session/keep-alive/$")) as keep_alive:
        dialog.get_by_role("button", name="Stay signed in").click()
    assert keep_alive.value.status == 200
    expect(dialog).to_be_hidden()

    # Renewed: nearly thirty more minutes before the next warning.
    page.clock.run_for("27:00")
    expect(dialog).to_be_hidden()
    page.clock.run_for("01:30")
    expect(dialog).to_be_visible()

    # The server ends the session (as it would after thirty quiet minutes); at the end of the
    # countdown the page goes to sign in, and back to this page afterwards.
    Session.objects.all().delete()
    page.clock.run_for("02:05")
    # Polled, not awaited as one navigation: the page's own redirect may abort the first one.
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=%2F$"))
    expect(page.get_by_role("heading", name="Sign in to LSP Portal")).to_be_visible()


def test_activity_in_another_tab_puts_the_warning_off(page, sign_in, analyst, context):
    page.clock.install()
    sign_in(page, analyst.email)
    page.clock.run_for("20:00")
    other = context.new_page()
    other.goto("/")
    page.clock.run_for("08:30")
    # Without the other tab's visit the warning would be open now (28:30 after this page loaded).
    expect(page.get_by_role("dialog")).to_be_hidden()


def test_a_request_soon_after_the_last_renewal_does_not_move_the_countdown(
        page, sign_in, analyst):
    """The server renews a session at most once a minute (core/session.py), so a request ten
    seconds after the page loaded leaves the deadline where it was."""
    page.clock.install()
    sign_in(page, analyst.email)
    page.clock.run_for("00:10")
    before = page.evaluate(DEADLINE)
    # The page notices its own request when the answer comes, before the caller's own `then`
    # (static/js/timeout-warning.js wraps fetch): by now it has decided not to move.
    assert page.evaluate("fetch('/').then(r => r.status)") == 200
    assert page.evaluate(DEADLINE) == before
    page.clock.run_for("27:55")  # 28:05 after loading
    expect(page.get_by_role("dialog", name="You’re about to be signed out")).to_be_visible()
    # And the same kind of request, once a renewal is due, has moved it by the same moment: the
    # check above did not read the deadline too early.
    assert page.evaluate("fetch('/').then(r => r.status)") == 200
    assert page.evaluate(DEADLINE) > before


def test_a_request_once_a_renewal_is_due_moves_the_countdown(page, sign_in, analyst):
    """A request two minutes after the page loaded renews the session: thirty minutes from it."""
    page.clock.install()
    sign_in(page, analyst.email)
    dialog = page.get_by_role("dialog", name="You’re about to be signed out")
    page.clock.run_for("02:00")
    before = page.evaluate(DEADLINE)
    assert page.evaluate("fetch('/').then(r => r.status)") == 200
    _wait_until_moved(page, before)  # the browser reports the request to the page's observer
    page.clock.run_for("27:00")  # 29:00 after loading: the warning would be open without it
    expect(dialog).to_be_hidden()
    page.clock.run_for("01:10")  # 28:10 after the request
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("we will sign you out in 2 minutes")
