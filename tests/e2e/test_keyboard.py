"""The main journeys with the keyboard alone: Tab, Shift+Tab, Enter, Space, arrow keys and
typing. Nothing is clicked or filled; each journey starts from an address typed into the browser
(page.goto) and is then carried by keys. Along the way the element with focus must show the
GOV.UK focus style (the yellow focus colour as its outline, background or shadow, or on the
radio's circle), and each journey must reach its outcome in the database or on the page.

The objects are the permission matrix's world (tests/security/world.py).
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accreditation.models import RequirementResponse, SelfAssessment
from tests.factories import PASSWORD
from tests.security.world import build_world

pytestmark = pytest.mark.e2e

FOCUS_YELLOW = "rgb(255, 221, 0)"  # $govuk-focus-colour, #ffdd00

_MATCHES = """([selector, text]) => {
  const el = document.activeElement;
  if (!el || el === document.body || !el.matches(selector)) return false;
  if (text === null) return true;
  const name = (el.labels && el.labels.length ? el.labels[0].innerText : el.innerText) || el.value || '';
  return name.replace(/\\s+/g, ' ').trim().includes(text);
}"""

_FOCUS_SHOWN = """yellow => {
  const el = document.activeElement;
  const styles = [getComputedStyle(el)];
  if (el.labels && el.labels.length) {
    styles.push(getComputedStyle(el.labels[0], '::before'), getComputedStyle(el.labels[0], '::after'));
  }
  return styles.some(s => (s.outlineStyle !== 'none' && s.outlineColor === yellow
                           && parseFloat(s.outlineWidth) > 0)
                          || s.backgroundColor === yellow || s.boxShadow.includes(yellow));
}"""

_DESCRIBE = """() => { const el = document.activeElement;
  return el ? el.outerHTML.slice(0, 160) : 'nothing'; }"""


def tab_to(page, selector: str, text: str | None = None, *, back: bool = False, limit: int = 200):
    """Press Tab (Shift+Tab with back=True) until the focused element matches."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(_MATCHES, [selector, text]):
            return
    raise AssertionError(f"{limit} presses of {key} never reached {selector} {text or ''} "
                         f"on {page.url}; focus is on {page.evaluate(_DESCRIBE)}")


def assert_focus_shown(page):
    assert page.evaluate(_FOCUS_SHOWN, FOCUS_YELLOW), (
        f"no visible focus style on {page.evaluate(_DESCRIBE)} ({page.url})")


def press_enter_and_wait(page):
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()


def keyboard_sign_in(page, email: str, password: str = PASSWORD):
    page.goto(reverse("core:sign-in"))
    page.keyboard.press("Tab")
    assert page.evaluate(_MATCHES, [".govuk-skip-link", None]), "the first Tab is not the skip link"
    assert_focus_shown(page)
    tab_to(page, "input[name=username]")
    assert_focus_shown(page)
    page.keyboard.type(email)
    tab_to(page, "input[name=password]")
    page.keyboard.type(password)
    tab_to(page, "button", "Sign in")
    assert_focus_shown(page)
    tab_to(page, "input[name=password]", back=True)  # and back again: nothing is lost
    tab_to(page, "button", "Sign in")
    press_enter_and_wait(page)


@pytest.fixture
def world():
    return build_world()


def test_signing_in_with_the_keyboard(page, world):
    keyboard_sign_in(page, world.officer_a.email)
    expect(page.get_by_role("heading", level=1)).to_have_text(world.officer_a.full_name
                                                              or world.officer_a.email)
    assert "/sign-in/" not in page.url


def test_an_officer_answers_a_requirement_with_the_keyboard(page, world):
    keyboard_sign_in(page, world.officer_a.email)
    page.goto(reverse("accreditation:assessment-tasks", kwargs={"pk": world.a_draft.pk}))
    response = world.a_draft.responses.select_related("requirement").order_by("requirement__order")[1]
    code = response.requirement.code
    tab_to(page, "a.govuk-task-list__link", response.requirement.title)
    assert_focus_shown(page)
    press_enter_and_wait(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)

    # Into the rating radios: the arrow keys move the choice (and check it).
    tab_to(page, "input[type=radio][name=self_rating]")
    assert_focus_shown(page)
    before = page.evaluate("() => document.activeElement.value")
    page.keyboard.press("ArrowDown")
    chosen = page.evaluate("() => document.activeElement.value")
    assert chosen != before and page.evaluate("() => document.activeElement.checked")
    assert_focus_shown(page)

    tab_to(page, "textarea[name=case]")
    assert_focus_shown(page)
    page.keyboard.press("Control+A")
    page.keyboard.type("Partners agreed the strategy at the March board, keyboard only.")
    tab_to(page, "button", "Save and continue")
    assert_focus_shown(page)
    press_enter_and_wait(page)

    saved = RequirementResponse.objects.get(pk=response.pk)
    assert (saved.self_rating, saved.case) == (
        chosen, "Partners agreed the strategy at the March board, keyboard only.")


def test_a_reviewer_starts_a_review_and_accredits_with_the_keyboard(page, world):
    assessment = world.d_submitted
    name = assessment.partnership.name
    keyboard_sign_in(page, world.reviewer_1.email)
    page.goto(reverse("review:queue") + f"?cycle={assessment.cycle_id}")
    tab_to(page, "a", name)
    assert_focus_shown(page)
    press_enter_and_wait(page)

    tab_to(page, "button", "Start review")
    assert_focus_shown(page)
    press_enter_and_wait(page)
    assert SelfAssessment.objects.get(pk=assessment.pk).status == "under_review"

    tab_to(page, "a.govuk-button", "Record your decision")
    assert_focus_shown(page)
    press_enter_and_wait(page)

    # The decision radios: arrow keys until "Accredit" (and nothing more) is chosen.
    tab_to(page, "input[type=radio]")
    for _ in range(6):
        if page.evaluate(_MATCHES, ["input[type=radio]:checked", None]) and page.evaluate(
                "() => document.activeElement.labels[0].innerText.trim()") == "Accredit":
            break
        page.keyboard.press("ArrowDown")
    else:
        raise AssertionError("the arrow keys never reached the Accredit option")
    assert_focus_shown(page)
    tab_to(page, "button", "Continue")
    press_enter_and_wait(page)

    tab_to(page, "textarea")
    page.keyboard.type("Every requirement is met.")
    tab_to(page, "button", "Continue")
    press_enter_and_wait(page)

    expect(page.locator("#funding-effect")).to_contain_text("now that it is accredited")
    tab_to(page, "button", "Confirm: accredit")
    assert_focus_shown(page)
    press_enter_and_wait(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Decision letter: accredited")
    assert SelfAssessment.objects.get(pk=assessment.pk).status == "accredited"


def test_an_analyst_filters_the_dashboard_with_the_keyboard(page, world):
    keyboard_sign_in(page, world.analyst.email)
    page.goto(reverse("reporting:dashboard-show"))
    table = page.locator("#partnership-table")
    expect(table).to_contain_text("Walsall")

    tab_to(page, "select[name=region]")
    assert_focus_shown(page)
    page.keyboard.type(world.region_2.name)  # a select's type-ahead chooses the option
    assert page.evaluate("() => document.activeElement.value") == world.region_2.slug
    tab_to(page, "button", "Apply filters")
    assert_focus_shown(page)
    press_enter_and_wait(page)

    assert re.search(rf"[?&]region={world.region_2.slug}(&|$|#)", page.url), page.url
    expect(table).to_contain_text("Bolton")
    expect(table).not_to_contain_text("Walsall")


def test_the_focus_check_fails_when_the_focus_style_is_taken_away(page):
    """So that a pass above means the style is there: with GOV.UK's focus styles overridden on
    the element (through the CSSOM, which the page's CSP allows), the same check fails."""
    page.goto(reverse("core:sign-in"))
    tab_to(page, "input[name=username]")
    assert_focus_shown(page)
    page.evaluate("""() => { const style = document.activeElement.style;
        style.setProperty('outline', 'none', 'important');
        style.setProperty('box-shadow', 'none', 'important');
        style.setProperty('background', 'white', 'important'); }""")
    with pytest.raises(AssertionError, match="no visible focus style"):
        assert_focus_shown(page)
