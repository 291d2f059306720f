"""The browser-test harness itself can fail: axe finds violations and the CSP guard sees refusals."""

import pytest

from tests.polling import in_browser, wait_for

pytestmark = pytest.mark.e2e


def test_axe_check_reports_violations_readably(page, axe_check):
    page.goto("/sign-in/")
    page.evaluate(
        """() => {
            const image = document.createElement('img');
            image.src = '/static/govuk/assets/images/favicon.svg';
            document.querySelector('main').append(image);
        }"""
    )

    with pytest.raises(pytest.fail.Exception) as failure:
        axe_check(page)

    message = str(failure.value)
    assert "image-alt (critical): Images must have alternative text" in message
    assert "at img" in message


def test_the_page_guard_catches_what_the_csp_refuses(page, browser_errors):
    page.goto("/sign-in/")

    page.evaluate(
        """() => {
            const script = document.createElement('script');
            script.textContent = 'window.injected = true';
            document.body.append(script);
        }"""
    )

    # Console messages arrive asynchronously.
    wait_for(lambda: any("Content Security Policy" in error for error in browser_errors),
             timeout=5, every=0.02, pause=in_browser(page),
             message=f"the CSP refusal was never reported: {browser_errors}")
    assert page.evaluate("() => window.injected") is None
    browser_errors.clear()  # expected here; any other would fail the test at teardown
