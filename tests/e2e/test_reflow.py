"""Every page of the permission matrix at 320 CSS pixels wide (WCAG 2.2 1.4.10, reflow): the
document must be no wider than the window, so that nothing needs scrolling sideways. Wide tables
scroll inside their own labelled region (`app-table-scroll`), which is allowed.

The pages and who may see each come from the permission matrix (tests/security), as in
test_every_page_axe.py: each GET that answers some role with 200 and HTML is opened as the first
such role. The test fails naming every page that is too wide, with its width.
"""

import pytest

from tests.e2e.test_every_page_axe import Visits, _first_role_with_a_page
from tests.security.matrix import url_for
from tests.security.permission_table import EXPECTED
from tests.security.world import build_world

pytestmark = pytest.mark.e2e

WIDTH = 320
WIDER_THAN_THE_WINDOW = """() => {
    const out = e => e.getBoundingClientRect().right > window.innerWidth + 1;
    const scrolled = e => e.parentElement && e.parentElement.closest('.app-table-scroll');
    const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
        (typeof e.className === 'string' && e.className.trim()
         ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
    return {
        document: document.documentElement.scrollWidth,
        window: window.innerWidth,
        // The innermost elements that stick out (outside a table's own scrolling region).
        culprits: Array.from(document.body.querySelectorAll('*'))
            .filter(e => out(e) && !scrolled(e))
            .filter(e => !Array.from(e.children).some(c => out(c) && !scrolled(c)))
            .slice(0, 3).map(name),
    };
}"""


def _too_wide(page) -> str:
    """'' when the page reflows; otherwise its width and the first elements sticking out."""
    measured = page.evaluate(WIDER_THAN_THE_WINDOW)
    if measured["document"] <= measured["window"]:
        return ""
    return (f"{measured['document']}px wide in a {measured['window']}px window "
            f"(sticking out: {', '.join(measured['culprits']) or 'nothing'})")


def test_every_page_reflows_at_320_pixels(browser, browser_context_args, live_server, sign_in):
    world = build_world()
    context_args = {**browser_context_args, "viewport": {"width": WIDTH, "height": 800}}
    visits = Visits(browser, context_args, world, sign_in, axe_check=None)
    too_wide, checked = [], 0
    try:
        for name in EXPECTED:
            if name.startswith("admin:"):
                continue  # Django's own admin pages are not the project's
            role = _first_role_with_a_page(name)
            if role is None:
                continue
            page = visits.page(role)
            url = url_for(world, name)
            head = page.context.request.get(url, max_redirects=0)
            if head.status != 200 or not head.headers.get("content-type", "").startswith("text/html"):
                continue
            page.goto(url)
            page.wait_for_load_state()
            checked += 1
            if problem := _too_wide(page):
                too_wide.append(f"{name} ({url}, as {role}): {problem}")
    finally:
        visits.close()
    assert checked > 40, f"only {checked} pages checked: the sweep is broken"
    assert not visits.problems, "\n".join(visits.problems)
    assert not too_wide, (f"{len(too_wide)} page(s) scroll sideways at {WIDTH}px:\n  "
                          + "\n  ".join(too_wide))
