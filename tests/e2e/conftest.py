"""Browser journeys: Debian's Chromium driven by pytest-playwright against pytest-django's live_server.

Every page runs under the real Content Security Policy. axe-core is put into the page through
the DevTools protocol (`page.evaluate`), which a page's CSP does not govern, so no context needs
`bypass_csp=True`, and a CSP or JavaScript error on any page fails the test that opened it.

Fixtures for tests: `page` (signed out, base URL = the live server), `sign_in(page, email,
password=PASSWORD)`, `axe_check(page)`, `browser_errors` (what `page` has caught so far), and
from tests/conftest.py `demo` (the February 2002 demo, committed for the live server; its users
sign in with settings.DEMO_PASSWORD).
Mark test modules with `pytest.mark.e2e`.
Without Chromium the tests are skipped; with REQUIRE_SERVICES=1 they fail (`require_chromium`).
"""

import os
from pathlib import Path

import pytest
from django.test import override_settings
from pytest_django.live_server_helper import LiveServer

from tests.factories import PASSWORD

# Playwright's sync API keeps an event loop in the test's thread, and the tests also use the ORM
# (factories) there; Django refuses that unless told the loop is not running async code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
# WCAG 2.0, 2.1 and 2.2 at levels A and AA: what public sector bodies must meet.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live_server, started while MEDIA_URL names another host.

    Django's live server thread always mounts a media files handler, which cannot parse the
    project's MEDIA_URL = None (evidence files have no URL by design: only a permission-checked
    view serves them). A URL with a host makes that handler step aside for every request, so
    the live server serves no media at all, like production."""
    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    with override_settings(MEDIA_URL="https://evidence-is-not-served.invalid/"):
        server = LiveServer(addr)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, require_chromium):
    return {
        **browser_type_launch_args,
        "executable_path": require_chromium,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    return {**browser_context_args, "base_url": live_server.url, "locale": "en-GB"}


@pytest.fixture(autouse=True)
def _e2e_database(transactional_db):
    """The live server runs in another thread, so test data must be committed to be seen."""


@pytest.fixture
def browser_errors() -> list[str]:
    """What the `page` saw go wrong: CSP refusals and uncaught JavaScript errors."""
    return []


@pytest.fixture
def page(page, browser_errors):
    """The plugin's page, failing the test if the page breaks its CSP or throws."""

    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            browser_errors.append(f"CSP: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: browser_errors.append(f"JavaScript: {error}"))
    yield page
    assert not browser_errors, f"errors in the browser on {page.url}:\n" + "\n".join(browser_errors)


def _sign_in(page, email: str, password: str = PASSWORD):
    """Sign in through the real form, as a person would."""
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.fixture
def sign_in():
    return _sign_in


def _format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"{len(violations)} accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    at {' '.join(node['target'])}")
            lines.append(f"      {node['html'][:200]}")
            for summary_line in node["failureSummary"].splitlines():
                lines.append(f"      {summary_line}")
    return "\n".join(lines)


def _axe_check(page) -> None:
    """Run axe-core on the page as it is now; fail listing every WCAG 2.x A/AA violation."""
    page.wait_for_load_state()
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    if result["violations"]:
        pytest.fail(_format_violations(page.url, result["violations"]), pytrace=False)


@pytest.fixture
def axe_check():
    return _axe_check
