"""What every answer says to the browser about keeping it and about browser features.

Anything shown to someone signed in (a page, a CSV or XLSX export, a PDF letter, an evidence
file, an API answer) must not be kept by the browser or anything between: `Cache-Control:
no-store, private`. Every answer, static files included, refuses the browser features the
service never uses (Permissions-Policy). core/middleware.py does both. Every URL's answers are
the permission matrix's own, requested once (`crawl`, tests/security/matrix.py).
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from reporting.api_tokens import api_token_create

from . import servers
from .matrix import Answer, crawl, crawled_namespaces, namespace_names, request_as, url_for
from .permission_table import EXPECTED
from .world import ROLES, build_world

pytestmark = pytest.mark.django_db

NO_STORE = "no-store, private"
# Features a government form service has no use for; each must be refused outright ("=()").
MUST_DENY = {"camera", "microphone", "geolocation", "payment", "usb", "serial", "hid", "midi",
             "display-capture", "fullscreen", "autoplay", "publickey-credentials-get"}


# Every URL of the permission table but Django's own admin, by namespace.
GET_NAMESPACES = sorted({name.split(":")[0] for name in EXPECTED if not name.startswith("admin:")})


def crawled_gets(namespace: str) -> dict[str, list[Answer]]:
    """The namespace's URLs, GET as each role: the answers of the permission matrix's crawl
    (tests/security/matrix.py, a training service)."""
    names = sorted(namespace_names(namespace))
    by_role: dict[str, list[Answer]] = {role: [] for role in ROLES}
    for answer in crawl(namespace):
        if answer.method == "GET":
            by_role[answer.role].append(answer)
    for role, answers in by_role.items():
        assert sorted(answer.name for answer in answers) == names, f"the crawl missed URLs ({role})"
    return by_role


@pytest.fixture
def world():
    return build_world()


def _policy(headers) -> dict[str, str]:
    value = headers.get("Permissions-Policy", "")
    return dict(part.strip().split("=", 1) for part in value.split(",") if part.strip())


@pytest.mark.parametrize("namespace", crawled_namespaces(GET_NAMESPACES))
def test_every_answer_to_someone_signed_in_is_no_store(namespace):
    """Every GET URL of the project as each signed-in role, whatever the answer (a page, a
    file, JSON, a redirect, a 404): nothing of it may be stored."""
    cacheable = []
    kinds = set()
    for role, answers in crawled_gets(namespace).items():
        if role == "anonymous":
            continue
        for answer in answers:
            kinds.add(answer.content_type.split(";")[0])
            if answer.headers.get("Cache-Control") != NO_STORE:
                cacheable.append(f"{answer.name} as {role} ({answer.status}): "
                                 f"{answer.headers.get('Cache-Control')!r}")
    assert not cacheable, "answers to someone signed in that may be stored:\n  " + "\n  ".join(cacheable)
    # Pages among them (the API answers only JSON): the crawl reached what people see.
    assert "text/html" in kinds or namespace == "reporting_api", kinds


def test_exports_letters_evidence_and_api_answers_are_no_store(world):
    """The kinds of answer named in the assessment, each checked to be what it says it is."""
    seen = {}
    for name, role in [
        ("reporting:dashboard-export-csv", "analyst"),
        ("reporting:dashboard-export-xlsx", "analyst"),
        ("review:decision-letter-pdf", "reviewer_1"),
        ("accreditation:evidence-download", "officer_a"),
        ("reporting_public:decisions-csv", "officer_a"),
        ("reporting_api:decision-list", "analyst"),
    ]:
        answer = request_as(world, role, "GET", url_for(world, name), name=name)
        assert answer.status == 200, (name, answer.status)
        seen[name] = answer.content_type
        assert answer.headers["Cache-Control"] == NO_STORE, (name, answer.headers.get("Cache-Control"))
    assert seen["reporting:dashboard-export-csv"].startswith("text/csv")
    assert "spreadsheetml" in seen["reporting:dashboard-export-xlsx"]
    assert seen["review:decision-letter-pdf"] == "application/pdf"
    assert seen["reporting_api:decision-list"].startswith("application/json")


def test_an_api_answer_to_a_token_is_no_store(world):
    _, key = api_token_create(name="Headers", valid_days=30, created_by=world.admin)
    answer = Client().get(reverse("reporting_api:partnership-list"), HTTP_AUTHORIZATION=f"Token {key}")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == NO_STORE


def test_public_pages_for_someone_signed_out_keep_their_caching(world):
    """No-store is for answers that are someone's; a public page to nobody in particular is not
    made uncacheable (nor given a policy it did not have)."""
    for name in ["reporting_public:decisions-show", "reporting_public:decisions-csv",
                 "reporting_public:decisions-json", "core:accessibility"]:
        answer = request_as(world, "anonymous", "GET", url_for(world, name), name=name)
        assert answer.status == 200, name
        assert "no-store" not in answer.headers.get("Cache-Control", ""), name
    # The same public page to someone signed in carries their name in the header: no-store.
    signed_in = request_as(world, "officer_a", "GET", url_for(world, "reporting_public:decisions-show"))
    assert signed_in.headers["Cache-Control"] == NO_STORE


def test_signing_in_and_signing_out_answers_are_no_store(world):
    from tests.factories import PASSWORD

    client = Client()
    signed_in = client.post(reverse("core:sign-in"), {"username": world.officer_a.email,
                                                      "password": PASSWORD})
    assert signed_in.status_code == 302 and "_auth_user_id" in client.session
    assert signed_in.headers["Cache-Control"] == NO_STORE
    signed_out = client.post(reverse("core:sign-out"))
    assert signed_out.status_code == 302 and "_auth_user_id" not in client.session
    assert signed_out.headers["Cache-Control"] == NO_STORE


@pytest.mark.parametrize("namespace", crawled_namespaces(GET_NAMESPACES))
def test_every_answer_refuses_unused_browser_features(namespace):
    """Every GET URL of the project as every role, signed out included."""
    missing = []
    for answer in (a for answers in crawled_gets(namespace).values() for a in answers):
        name = f"{answer.name} as {answer.role}"
        policy = _policy(answer.headers)
        refused = {feature for feature, allow in policy.items() if allow == "()"}
        if not refused >= MUST_DENY:
            missing.append(f"{name} ({answer.status}): {sorted(MUST_DENY - refused)}")
    assert not missing, "answers that do not refuse unused features:\n  " + "\n  ".join(missing)


def test_static_files_and_error_pages_carry_the_policy_too(world):
    client = Client(raise_request_exception=False)
    for url, status in [("/favicon.ico", 200), ("/no-such-page/", 404)]:
        answer = client.get(url)
        assert answer.status_code == status, url
        assert set(_policy(answer.headers)) >= MUST_DENY, url
    sign_in = Client().get(reverse("core:sign-in"))
    assert _policy(sign_in.headers) == dict.fromkeys(settings.PERMISSIONS_POLICY_DENIED, "()")


def _policy_in_chromium(chromium: str, url: str, names: list[str]) -> dict:
    """What Chromium makes of the page at `url`: the features of `names` it refuses there, the
    features it knows, and its console messages. In a thread of its own: Playwright's sync API
    refuses to start where another test's browser already keeps an event loop."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium,
                                             args=["--no-sandbox", "--headless", "--disable-gpu"])
        try:
            page = browser.new_page()
            messages = []
            page.on("console", lambda m: messages.append(m.text))
            answer = page.goto(url)
            page.wait_for_timeout(300)  # console messages arrive asynchronously
            return {
                "status": answer.status,
                "denied": page.evaluate(
                    "names => names.filter(n => !document.featurePolicy.allowsFeature(n))", names),
                "known": page.evaluate("() => document.featurePolicy.features()"),
                "messages": messages,
            }
        finally:
            browser.close()


@pytest.mark.e2e
def test_chromium_applies_the_policy_and_knows_every_feature_in_it(require_chromium, tmp_path):
    """The header is in force in a real browser, and names nothing Chromium does not know (it
    would warn about it in the console). The page comes from a real gunicorn."""
    names = settings.PERMISSIONS_POLICY_DENIED
    with servers.gunicorn(tmp_path) as server, ThreadPoolExecutor(1) as thread:
        url = f"http://{server.host}:{server.port}{reverse('core:sign-in')}"
        seen = thread.submit(_policy_in_chromium, require_chromium, url, names).result(timeout=120)
    assert seen["status"] == 200
    assert seen["denied"] == names
    assert set(names) <= set(seen["known"])
    assert not [m for m in seen["messages"] if "Permissions-Policy" in m], seen["messages"]
