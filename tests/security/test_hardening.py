"""Production settings, sign-in lockout, passwords, sessions, CSRF and logs."""

import datetime as dt
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accreditation.models import SelfAssessment
from accreditation.services.decisions import assessment_accredit
from core.session import RENEWED_AT
from tests.factories import PASSWORD, RoleAssignmentFactory, SelfAssessmentFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-production-secret-key-of-more-than-fifty-characters-0123456789",
    "ALLOWED_HOSTS": "lsp-portal.example",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def _manage(*args, env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in PRODUCTION and not k.startswith(("SECURE_", "SESSION_", "CSRF_"))
             # The browser tests set this for their own process; production never has it.
             and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    # The project's settings, not the tests' (tests/settings.py supplies a SECRET_KEY).
    clean["DJANGO_SETTINGS_MODULE"] = "lsp_portal.settings"
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120, check=False)


# --- Settings --------------------------------------------------------------------------------


def test_production_settings_pass_the_deploy_check_with_no_warning():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_fails_without_hsts_or_a_real_secret_key():
    """The check above is not vacuous: no HSTS and a weak key are refused. (No key at all stops
    the settings loading: tests/security/test_settings_refuse.py.)"""
    env = {**PRODUCTION, "SECURE_HSTS_SECONDS": "0", "SECRET_KEY": "django-insecure-short"}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W009" in result.stderr


def test_debug_is_off_and_cookies_secure_unless_the_environment_says_otherwise():
    code = ("from django.conf import settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE, "
            "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS)")

    def printed(env):
        result = _manage("shell", "--no-imports", "-c", code, env=env)
        return result.stdout.strip().splitlines()[-1].split() if result.stdout.strip() else result.stderr

    assert printed({"SECRET_KEY": "x" * 60}) == ["False", "True", "True", "True", "0"]
    assert printed(PRODUCTION) == ["False", "True", "True", "True", "31536000"]
    assert printed({"DEBUG": "1"}) == ["True", "False", "False", "True", "0"]


@pytest.mark.django_db
def test_hsts_and_secure_cookies_are_sent_over_https(settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    UserFactory(email="someone@example.test")
    client = Client()
    page = client.get(reverse("core:sign-in"), secure=True)
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    signed_in = client.post(reverse("core:sign-in"), {"username": "someone@example.test",
                                                      "password": PASSWORD}, secure=True)
    assert signed_in.status_code == 302
    session = signed_in.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    # Browser-session cookie: it goes when the browser closes, and the server ends it sooner.
    assert session["max-age"] == "" and session["expires"] == ""


def test_password_validators_refuse_weak_passwords():
    user = UserFactory.build(email="jo.bloggs@walsall.test", full_name="Jo Bloggs")
    for weak, reason in [
        ("Sh0rt!", "too short"),
        ("password123", "too common"),
        ("48291037465", "entirely numeric"),
        ("jo.bloggs@walsall", "too similar"),
    ]:
        with pytest.raises(ValidationError) as refused:
            validate_password(weak, user=user)
        assert reason in " ".join(refused.value.messages), weak
    validate_password("renewal of neighbourhoods 2002", user=user)


# --- Sign-in lockout ------------------------------------------------------------------------


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_with_a_clear_message_even_for_the_right_one(settings):
    settings.AXES_ENABLED = True
    UserFactory(email="officer@walsall.test")
    client = Client()
    url = reverse("core:sign-in")
    for attempt in range(1, 5):
        wrong = client.post(url, {"username": "officer@walsall.test", "password": f"wrong-{attempt}"})
        assert wrong.status_code == 200, attempt
        assert "Email address or password is not correct" in wrong.text
    locked = client.post(url, {"username": "officer@walsall.test", "password": "wrong-5"})
    assert locked.status_code == 429
    assert "You cannot sign in at the moment" in locked.text
    assert "Wait 15 minutes" in locked.text
    right = client.post(url, {"username": "officer@walsall.test", "password": PASSWORD})
    assert right.status_code == 429 and "You cannot sign in at the moment" in right.text
    assert "_auth_user_id" not in client.session
    # The lockout is for that account from that address, not for everyone.
    other = Client().post(url, {"username": "other@walsall.test", "password": "wrong"})
    assert other.status_code == 200


# --- Sessions --------------------------------------------------------------------------------


@pytest.fixture
def signed_in(db):
    user = RoleAssignmentFactory(analyst=True).user
    client = Client()
    client.force_login(user)
    return client


def _expiry(client) -> dt.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


@pytest.mark.django_db
def test_a_session_ends_after_thirty_minutes_without_a_request(signed_in):
    assert django_settings.SESSION_COOKIE_AGE == 30 * 60
    assert signed_in.get(reverse("core:home")).status_code == 200
    Session.objects.filter(session_key=signed_in.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1))
    answer = signed_in.get(reverse("core:home"))
    assert answer.status_code == 302 and answer.url.startswith(reverse("core:sign-in"))


@pytest.mark.django_db
def test_each_request_pushes_the_end_of_the_session_back(signed_in):
    Session.objects.filter(session_key=signed_in.session.session_key).update(
        expire_date=timezone.now() + dt.timedelta(minutes=2))
    signed_in.get(reverse("core:home"))
    left = _expiry(signed_in) - timezone.now()
    assert dt.timedelta(minutes=29) < left <= dt.timedelta(minutes=30)


def _renewed(client, seconds_ago: int) -> None:
    """Say the session was last renewed `seconds_ago` (its expiry set to match)."""
    session = client.session
    session[RENEWED_AT] = int(time.time()) - seconds_ago
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + dt.timedelta(seconds=30 * 60 - seconds_ago))


def _timeout_on_page(client) -> int:
    page = client.get(reverse("core:home")).text
    return int(page.split('data-session-timeout-seconds="')[1].split('"')[0])


@pytest.mark.django_db
def test_a_page_within_a_minute_of_the_last_renewal_writes_nothing(signed_in):
    """The session is renewed at most once a minute: a page view is not a database write, and
    the timeout warning counts down what is really left."""
    _renewed(signed_in, seconds_ago=30)
    before = _expiry(signed_in)
    with CaptureQueriesContext(connection) as queries:
        left = _timeout_on_page(signed_in)
    assert [q["sql"] for q in queries if not q["sql"].startswith("SELECT")] == []
    assert _expiry(signed_in) == before
    assert 30 * 60 - 32 <= left <= 30 * 60 - 30


@pytest.mark.django_db
def test_a_page_a_minute_after_the_last_renewal_renews(signed_in):
    _renewed(signed_in, seconds_ago=61)
    assert _timeout_on_page(signed_in) == 30 * 60
    left = _expiry(signed_in) - timezone.now()
    assert dt.timedelta(minutes=29) < left <= dt.timedelta(minutes=30)
    assert abs(signed_in.session[RENEWED_AT] - time.time()) <= 2


@pytest.mark.django_db
def test_stay_signed_in_renews_the_session_and_answers_json(signed_in):
    Session.objects.filter(session_key=signed_in.session.session_key).update(
        expire_date=timezone.now() + dt.timedelta(minutes=1))
    answer = signed_in.post(reverse("core:session-keepalive"))
    assert answer.status_code == 200
    assert answer.json() == {"signed_in": True, "expires_in": 1800}
    assert _expiry(signed_in) - timezone.now() > dt.timedelta(minutes=29)
    assert signed_in.get(reverse("core:session-keepalive")).status_code == 405


@pytest.mark.django_db
def test_stay_signed_in_after_the_session_ended_says_so():
    answer = Client().post(reverse("core:session-keepalive"))
    assert answer.status_code == 401 and answer.json() == {"signed_in": False}


@pytest.mark.django_db
def test_keep_alive_needs_the_csrf_token_the_page_gives_it():
    client = Client(enforce_csrf_checks=True)
    client.force_login(RoleAssignmentFactory(analyst=True).user)
    assert client.post(reverse("core:session-keepalive")).status_code == 403
    page = client.get(reverse("core:home")).text
    token = page.split('data-csrf-token="')[1].split('"')[0]
    answer = client.post(reverse("core:session-keepalive"), HTTP_X_CSRFTOKEN=token)
    assert answer.status_code == 200


@pytest.mark.django_db
def test_the_timeout_warning_is_on_signed_in_pages_only(signed_in):
    page = signed_in.get(reverse("core:home")).text
    assert 'id="app-timeout-dialog"' in page and 'data-session-timeout-seconds="1800"' in page
    assert f'data-keepalive-url="{reverse("core:session-keepalive")}"' in page
    assert "/static/js/timeout-warning.js" in page
    signed_out = Client().get(reverse("core:sign-in")).text
    assert "app-timeout-dialog" not in signed_out and "timeout-warning.js" not in signed_out


# --- CSRF on every form that changes something ----------------------------------------------


@pytest.mark.django_db
def test_every_post_is_refused_without_the_csrf_token():
    """The matrix posts with Django's test client, which skips CSRF checks; here every URL the
    table lets someone POST to successfully is tried with checks on and no token: 403."""
    from .matrix import url_for
    from .permission_table import COLUMNS, EXPECTED
    from .world import build_world

    world = build_world()
    accepted = []
    for name, methods in EXPECTED.items():
        role = next((r for r in COLUMNS if methods["POST"] in ("200", "302", "400", "409")), None)
        if role is None or name.startswith("admin:"):
            continue
        client = Client(enforce_csrf_checks=True)
        if world.user(role):
            client.force_login(world.user(role))
        answer = client.post(url_for(world, name), {})
        if answer.status_code != 403:
            accepted.append(f"{name} as {role}: {answer.status_code}")
    assert not accepted, "POST accepted without a CSRF token:\n  " + "\n  ".join(accepted)


# --- Logs ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_logs_hold_no_email_address_or_password(settings, caplog, django_capture_on_commit_callbacks):
    """Failed sign-ins, a lockout, a successful sign-in and a decision with its notifications:
    nothing logged names the person or repeats what they typed."""
    settings.AXES_ENABLED = True
    caplog.set_level(logging.DEBUG)
    email, secret = "chair@walsall.test", "my-secret-password-1"
    UserFactory(email=email)
    client = Client()
    for _ in range(6):
        client.post(reverse("core:sign-in"), {"username": email, "password": secret})
    Client().post(reverse("core:sign-in"), {"username": "officer@walsall.test", "password": PASSWORD})
    officer = UserFactory(email="officer@walsall.test")
    client = Client()
    client.post(reverse("core:sign-in"), {"username": officer.email, "password": PASSWORD})
    reviewer = UserFactory(email="reviewer@wm.test")
    with django_capture_on_commit_callbacks(execute=True):
        assessment = SelfAssessmentFactory(under_review=True, reviewer_user=reviewer)
        assessment_accredit(assessment=assessment, by=reviewer,
                            summary="Accredited")
    assert SelfAssessment.objects.get(pk=assessment.pk).status == "accredited"
    logged = "\n".join(
        r.getMessage() + (logging.Formatter().formatException(r.exc_info) if r.exc_info else "")
        for r in caplog.records
    )
    assert "AXES" in logged, "the lockout was not logged at all: the test saw nothing"
    for private in (email, secret, officer.email, PASSWORD, reviewer.email, "@walsall.test"):
        assert private not in logged, f"{private!r} appears in the logs"
