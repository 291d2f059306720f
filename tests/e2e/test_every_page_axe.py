"""Every page of the portal in Chromium, checked by axe-core (WCAG 2.0-2.2, A and AA).

The URLs, the objects they point at and who may see each come from the permission matrix
(tests/security: its world, its URL kwargs and its table), so a page added to the project is
visited here as soon as it has its lines in the table. Each GET that answers some role with
200 is opened as the first such role, one signed-in browser context per role. Pages reached only
by a POST (confirm pages, previews, the sign-in lock-out), a form showing its errors, the 404
page and the error pages are visited too.

Django's test instrumentation (active under pytest-django) sends `template_rendered` for every
template rendered, in the live server's thread as well, so at the end every page template under
templates/ must have been rendered at least once: a new page template that no visit reaches
fails the test, naming it.
"""

import re
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test.signals import template_rendered
from django.urls import reverse

from accreditation.services.drafting import assessment_start
from tests.security.matrix import url_for
from tests.security.permission_table import COLUMNS, EXPECTED
from tests.security.world import build_world, pdf_bytes

pytestmark = pytest.mark.e2e

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"

# Templates that are not pages of their own, with the reason.
NOT_PAGES = {
    "base.html": "the layout every page extends; checked as part of each of them",
    "review/letter_pdf.html": "the source of the PDF letter, not a web page (review/letter.html is)",
}
NOT_PAGE_DIRECTORIES = {
    "includes/": "fragments included in pages, checked inside them",
    "performance/includes/": "fragments included in pages, checked inside them",
}
# Files named "_*.html" are partials (a table, a form, breadcrumbs) included in pages.

# Rendered here without their error condition (served through a route on the live server's
# origin, so the page's styles load); 404.html is reached for real. 413.html is reached for real
# in tests/security/test_request_limits.py.
ERROR_PAGES = ("400.html", "403.html", "403_csrf.html", "413.html", "500.html")


def page_templates() -> set[str]:
    found = set()
    for path in TEMPLATES_DIR.rglob("*.html"):
        name = path.relative_to(TEMPLATES_DIR).as_posix()
        if name in NOT_PAGES or path.name.startswith("_"):
            continue
        if any(name.startswith(directory) for directory in NOT_PAGE_DIRECTORIES):
            continue
        found.add(name)
    return found


class RenderedTemplates:
    """The project's templates rendered while connected, from any thread."""

    def __init__(self):
        self.names: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, sender, template, context, **kwargs):
        origin = getattr(getattr(template, "origin", None), "name", None)
        if not origin:
            return
        path = Path(str(origin))
        if path.is_relative_to(TEMPLATES_DIR):
            with self._lock:
                self.names.add(path.relative_to(TEMPLATES_DIR).as_posix())


@pytest.fixture
def rendered():
    receiver = RenderedTemplates()
    template_rendered.connect(receiver, dispatch_uid="test_every_page_axe")
    yield receiver
    template_rendered.disconnect(dispatch_uid="test_every_page_axe")


class Visits:
    """The browser contexts (one per role, signed in once) and what went wrong on the way."""

    def __init__(self, browser, context_args, world, sign_in, axe_check):
        self.browser, self.context_args, self.world = browser, context_args, world
        self.sign_in, self.axe_check = sign_in, axe_check
        self.pages = {}
        self.problems: list[str] = []
        self.checked = 0

    def page(self, role: str):
        if role not in self.pages:
            context = self.browser.new_context(**self.context_args)
            page = context.new_page()
            page.on("console", lambda m, role=role: self._console(role, m))
            page.on("pageerror", lambda e, role=role: self.problems.append(f"as {role}: JavaScript: {e}"))
            if role != "anonymous":
                self.sign_in(page, self.world.user(role).email)
                assert "/sign-in/" not in page.url, f"{role} could not sign in"
            self.pages[role] = page
        return self.pages[role]

    def _console(self, role, message):
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(f"as {role}: CSP: {message.text}")

    def check(self, page, what: str):
        """axe-core on the page as it is; violations are collected, not raised, so that one run
        lists every page's problems."""
        self.checked += 1
        try:
            self.axe_check(page)
        except pytest.fail.Exception as failure:
            self.problems.append(f"{what}: {failure}")

    def close(self):
        for page in self.pages.values():
            page.context.close()


def _first_role_with_a_page(name: str) -> str | None:
    answers = EXPECTED[name].get("GET", {})
    return next((role for role in COLUMNS if answers.get(role) == "200"), None)


def _submit_without_browser_validation(page):
    """Press the main form's submit button with the browser's own validation off, as a
    browser without it (or a person with it turned off) would send the form."""
    form = page.locator("#main-content form[method=post], #main-content form[method=POST]").last
    form.evaluate("form => { form.noValidate = true; }")
    # A <button> with no type submits (crispy-forms-gds writes them so).
    form.locator("button:not([type=button]), input[type=submit]").first.click()
    page.wait_for_load_state()


def _visit_every_get(visits: Visits, world) -> list[str]:
    skipped = []
    for name in EXPECTED:
        if name.startswith("admin:"):
            continue  # Django's own admin templates are not the project's
        role = _first_role_with_a_page(name)
        if role is None:
            continue
        page = visits.page(role)
        url = url_for(world, name)
        head = page.context.request.get(url, max_redirects=0)
        content_type = head.headers.get("content-type", "")
        if head.status != 200 or not content_type.startswith("text/html"):
            if head.status != 200:
                visits.problems.append(f"GET {url} as {role}: {head.status}, the table says 200")
            skipped.append(f"{name} ({content_type.split(';')[0]})")
            continue
        page.goto(url)
        visits.check(page, f"GET {url} as {role}")
    return skipped


def _visit_page_states(visits: Visits, world):
    """Parts of pages that the world's GET sweep does not show."""
    # A membership page with a key sector missing while a draft is open: the accreditation
    # panel under the warning (say how the draft addresses the gap on R2).
    assessment_start(partnership=world.partnership_b, cycle=world.cycle_2003, by=world.officer_b)
    page = visits.page("officer_b")
    page.goto(reverse("partnerships:member-list", kwargs={"slug": world.partnership_b.slug}))
    assert page.get_by_role("link", name="say how you are addressing it").count() == 1
    visits.check(page, "member-list with a sector missing and a draft open")

    # The NRU administrator's home page while an email could not be sent (the world has one):
    # the reporting panel linking to the list; with the other panels of NRU staff.
    page = visits.page("admin")
    page.goto(reverse("core:home"))
    assert page.get_by_role("link", name="See the email not sent").count() == 1
    assert page.locator("#nru-decisions").count() == page.locator("#training-clock").count() == 1
    visits.check(page, "home page with an email not sent")

    # Every other role's home page: its next steps (the sweep sees only the first role's).
    for role, panel in (("chair_a", "#next-walsall"), ("reviewer_1", "#next-reviews"),
                        ("analyst", "#nru-money")):
        page = visits.page(role)
        page.goto(reverse("core:home"))
        assert page.locator(panel).count() == 1, f"{role}: no {panel} on the home page"
        visits.check(page, f"home page as {role}")


def _visit_post_only_pages(visits: Visits, world, tmp_path, settings):
    """The pages a POST answers with: a form in error, confirmations, a preview, the lock-out."""
    # A form sent empty shows the error summary and the messages by the fields.
    page = visits.page("officer_a")
    page.goto(reverse("partnerships:member-add", kwargs={"slug": world.partnership_a.slug}))
    _submit_without_browser_validation(page)
    assert page.locator(".govuk-error-summary").count() == 1, "the empty form showed no errors"
    visits.check(page, "member-add sent empty")

    # A reviewer's decision, stopped at the page that states the funding effect.
    page = visits.page("reviewer_1")
    page.goto(url_for(world, "review:assessment-accredit"))
    page.locator("#main-content textarea").first.fill("Every requirement is met.")
    _submit_without_browser_validation(page)
    assert page.get_by_role("button", name=re.compile("^Confirm")).count() == 1, page.url
    visits.check(page, "accredit: the confirm page")

    # Bulk accreditation, stopped at its confirmation.
    page.goto(reverse("review:bulk-accredit"))
    page.locator("#main-content input[type=checkbox]").first.check()
    _submit_without_browser_validation(page)
    visits.check(page, "bulk accreditation: the confirm page")

    # A release policy change, stopped at the page saying how many partnerships it moves.
    page = visits.page("admin")
    page.goto(url_for(world, "funding:releasepolicy-change"))
    page.locator("input[name=deferred]").fill("70")
    page.locator("#main-content textarea, input[name=reason]").first.fill("Ministerial decision")
    _submit_without_browser_validation(page)
    visits.check(page, "release policy change: the confirm page")

    # The training date moved back: refused, with the error summary and the field's message.
    page.goto(reverse("reporting:training-date"))
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("1")
    page.get_by_label("Year").fill("2000")
    _submit_without_browser_validation(page)
    assert page.locator(".govuk-error-summary").count() == 1, "moving the date back was not refused"
    visits.check(page, "training date moved back: refused")

    # An allocations import, previewed.
    upload = tmp_path / "allocations.csv"
    upload.write_text("authority,fund,year,amount,source\nWalsall,NRF,2002/03,4613412.50,HL2003\n")
    page.goto(reverse("reporting:allocations-import"))
    page.get_by_label("Upload a file").set_input_files(str(upload))
    _submit_without_browser_validation(page)
    visits.check(page, "allocations import: the preview")

    # An API token: the form sent empty, then made, with its key shown once.
    page.goto(reverse("reporting:api-token-new"))
    _submit_without_browser_validation(page)
    assert page.locator(".govuk-error-summary").count() == 1, "the empty token form showed no errors"
    visits.check(page, "API token: the empty form refused")
    page.get_by_label("Name").fill("Quarterly extract")
    page.get_by_label("90 days").check()
    _submit_without_browser_validation(page)
    assert page.get_by_label("Key").count() == 1, "the new token's key was not shown"
    visits.check(page, "API token made: the key shown once")

    # Signing in wrongly until the account is locked out (an address nobody has); the tests
    # turn django-axes off unless they test it.
    settings.AXES_ENABLED = True
    page = visits.page("anonymous")
    for _attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        page.goto(reverse("core:sign-in"))
        if page.get_by_label("Email address").count() == 0:
            break
        page.get_by_label("Email address").fill("nobody@nowhere.test")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        if page.get_by_label("Email address").count() == 0:
            break
    assert page.get_by_label("Email address").count() == 0, "the sign-in was never locked out"
    visits.check(page, "sign-in locked out")

    # A page that does not exist.
    response = page.goto("/no-such-page/")
    assert response.status == 404
    visits.check(page, "the 404 page")


def _visit_deferral_response_states(visits: Visits, world):
    """A's response to its 2002/03 deferral as it fills in, is refused to the officer at the
    chair's step, is signed off, and is read beside each concern on the reviewer's page (the
    sweep above sees it only before anyone has written a word)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accreditation.models import DeferralResponse
    from accreditation.services.deferral import (
        deferral_evidence_attach,
        deferral_progress_save,
        deferral_sign_off,
        deferral_sign_off_request,
    )

    a, decision = world.a_2002, world.a_decision
    deferral_progress_save(assessment=a, concern_id=world.a_concern.pk, by=world.officer_a,
                           text="The board agreed its role.", expected_version=0,
                           decision_id=decision.pk)
    deferral_evidence_attach(assessment=a, concern_id=world.a_concern.pk, by=world.officer_a,
                             upload=SimpleUploadedFile("role.pdf", pdf_bytes()),
                             decision_id=decision.pk)
    deferral_sign_off_request(assessment=a, by=world.officer_a, decision_id=decision.pk)

    page = visits.page("officer_a")
    for name in ("accreditation:deferral-response", "accreditation:deferral-concern"):
        page.goto(url_for(world, name))
        visits.check(page, f"{name}, written, waiting for the chair")
    page.goto(url_for(world, "accreditation:deferral-sign-off"))
    visits.check(page, "deferral sign-off refused to the officer")
    page = visits.page("chair_a")
    page.goto(url_for(world, "accreditation:deferral-sign-off"))
    visits.check(page, "deferral sign-off, ready for the chair")

    deferral_sign_off(assessment=a, by=world.chair_a, decision_id=decision.pk,
                      expected_version=DeferralResponse.objects.get(decision=decision).version)
    page = visits.page("officer_a")
    page.goto(url_for(world, "accreditation:deferral-response"))
    visits.check(page, "deferral response, signed off")
    page = visits.page("reviewer_1")
    page.goto(reverse("review:assessment-detail", args=[a.pk]))
    assert page.locator("#concern-R1").get_by_text("The board agreed its role.").count() == 1
    visits.check(page, "review page with the response beside each concern")
    page.goto(reverse("review:queue"))
    visits.check(page, "queue with a response received")


def _serve(html: str):
    def handler(route):
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
    return handler


def _visit_error_pages(visits: Visits, live_server_url: str):
    page = visits.page("anonymous")
    for template in ERROR_PAGES:
        html = render_to_string(template)
        url = f"{live_server_url}/__error-page__/{template}"
        page.route(url, _serve(html))
        page.goto(url)
        page.unroute(url)
        visits.check(page, f"error page {template}")


def test_every_page_template_is_visited_and_passes_axe(browser, browser_context_args, live_server,
                                                        sign_in, axe_check, rendered, tmp_path,
                                                        settings):
    # A training service: its banner is on every page, and its date page is there to visit.
    settings.TRAINING_CLOCK = True
    world = build_world()
    visits = Visits(browser, browser_context_args, world, sign_in, axe_check)
    try:
        rendered.names.clear()  # only what the visits render counts
        skipped = _visit_every_get(visits, world)
        _visit_page_states(visits, world)
        _visit_post_only_pages(visits, world, tmp_path, settings)
        _visit_deferral_response_states(visits, world)
        _visit_error_pages(visits, live_server.url)
    finally:
        visits.close()

    assert visits.checked > 50, f"only {visits.checked} pages checked: the sweep is broken"
    assert {s.split()[0] for s in skipped} >= {"reporting_public:decisions-csv",
                                               "reporting_api:schema"}, skipped
    never = sorted(page_templates() - rendered.names)
    message = ""
    if visits.problems:
        message += "\n\n".join(visits.problems) + "\n\n"
    if never:
        message += ("Page templates no visit rendered (visit them here, or add them to NOT_PAGES "
                    "with the reason):\n  " + "\n  ".join(never))
    if message:
        pytest.fail(message, pytrace=False)


def test_the_template_list_finds_pages_and_leaves_out_fragments():
    pages = page_templates()
    assert {"core/accessibility.html", "review/decision_confirm.html", "404.html"} <= pages
    assert not {"base.html", "includes/messages.html", "reporting/_filter_form.html"} & pages
