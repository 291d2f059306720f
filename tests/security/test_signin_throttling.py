"""Sign-in throttling: per account at an address, and per address across accounts.

An account is locked from an address after 5 wrong passwords there (AXES_FAILURE_LIMIT); an
address is locked for every account after 20 failures across any usernames
(AXES_ADDRESS_FAILURE_LIMIT), which stops password spraying: a guess or two at each of many
accounts. The address is REMOTE_ADDR unless TRUSTED_PROXY_COUNT proxies are in front, when it is
the entry the outermost proxy added to X-Forwarded-For (core/client_address.py). Decisions and
limits: docs/adr/0014-request-limits-and-throttling.md.
"""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.urls import reverse

from core.client_address import client_address
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGN_IN = reverse("core:sign-in")
ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"


@pytest.fixture(autouse=True)
def _axes_on(settings):
    settings.AXES_ENABLED = True
    assert settings.AXES_FAILURE_LIMIT == 5 and settings.AXES_ADDRESS_FAILURE_LIMIT == 20


def _try(username: str, password: str, address: str = ATTACKER, client: Client | None = None, **meta):
    return (client or Client()).post(SIGN_IN, {"username": username, "password": password},
                                     REMOTE_ADDR=address, **meta)


def _locked(answer) -> bool:
    return answer.status_code == 429 and "You cannot sign in at the moment" in answer.text


def _signs_in(username: str, address: str, **meta) -> bool:
    client = Client()
    answer = _try(username, PASSWORD, address, client, **meta)
    return answer.status_code == 302 and "_auth_user_id" in client.session


def test_spraying_25_usernames_from_one_address_locks_that_address():
    UserFactory(email="officer@walsall.test")
    answers = [_try(f"person{n}@walsall.test", "Summer2002!") for n in range(25)]
    # One guess per account never reaches the account limit; the address limit stops it at 20.
    assert [a.status_code for a in answers[:19]] == [200] * 19
    assert all(_locked(a) for a in answers[19:]), [a.status_code for a in answers]
    assert "Wait 15 minutes" in answers[-1].text
    # Every account is locked from that address, even with the right password...
    assert not _signs_in("officer@walsall.test", ATTACKER)
    assert _locked(_try("officer@walsall.test", PASSWORD))
    # ...also on the admin's sign-in page...
    admin = Client().post(reverse("admin:login"), {"username": "officer@walsall.test",
                                                   "password": PASSWORD}, REMOTE_ADDR=ATTACKER)
    assert admin.status_code == 429
    # ...and from anywhere else the account signs in as usual.
    assert _signs_in("officer@walsall.test", ELSEWHERE)


def test_fewer_failures_than_the_address_limit_lock_nobody_else():
    UserFactory(email="officer@walsall.test")
    for n in range(19):
        assert _try(f"person{n}@walsall.test", "wrong").status_code == 200
    assert _signs_in("officer@walsall.test", ATTACKER)


def test_the_address_lock_ends_after_the_cool_off():
    UserFactory(email="officer@walsall.test")
    for n in range(20):
        _try(f"person{n}@walsall.test", "wrong")
    assert not _signs_in("officer@walsall.test", ATTACKER)
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    assert _signs_in("officer@walsall.test", ATTACKER)


def test_an_attacker_elsewhere_does_not_lock_the_victim_out_of_their_account():
    """The account limit counts per account and address: five wrong passwords from the
    attacker's address lock the account there only; its owner, elsewhere, still signs in."""
    UserFactory(email="victim@walsall.test")
    answers = [_try("victim@walsall.test", f"guess-{n}") for n in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    assert _locked(_try("victim@walsall.test", PASSWORD))
    assert _signs_in("victim@walsall.test", ELSEWHERE)


def test_a_spoofed_forwarded_for_is_ignored_with_no_trusted_proxy(settings):
    """TRUSTED_PROXY_COUNT = 0 (the default): X-Forwarded-For is whatever the client wrote, so a
    new one with each attempt buys nothing."""
    assert settings.TRUSTED_PROXY_COUNT == 0
    UserFactory(email="officer@walsall.test")
    for n in range(20):
        _try(f"person{n}@walsall.test", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    assert not _signs_in("officer@walsall.test", ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.200")


def test_behind_one_proxy_each_client_is_counted_apart_and_spoofing_buys_nothing(settings):
    """With one proxy (docker-compose.yml's nginx) every request comes from the proxy's address;
    the client is the address the proxy appended. What the attacker writes in front of it is
    ignored, and a colleague behind the same proxy is not locked out."""
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    UserFactory(email="officer@walsall.test")
    for n in range(20):
        _try(f"person{n}@walsall.test", "wrong", proxy,
             HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}, {ATTACKER}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    assert not _signs_in("officer@walsall.test", proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.99, {ATTACKER}")
    assert _signs_in("officer@walsall.test", proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE)


@pytest.mark.parametrize(("count", "remote", "forwarded", "expected"), [
    (0, "10.0.0.2", "192.0.2.1", "10.0.0.2"),
    (1, "10.0.0.2", "192.0.2.1, 203.0.113.7", "203.0.113.7"),
    (1, "10.0.0.2", " 203.0.113.7 ", "203.0.113.7"),
    (2, "10.0.0.3", "192.0.2.1, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
    (2, "10.0.0.3", "203.0.113.7", "10.0.0.3"),  # fewer entries than proxies: not trusted
    (1, "10.0.0.2", "", "10.0.0.2"),
    (1, "10.0.0.2", "not-an-address", "10.0.0.2"),
    (1, "10.0.0.2", "192.0.2.1, 2001:db8::1", "2001:db8::1"),
])
def test_the_client_address_is_the_nth_forwarded_entry_from_the_right(settings, count, remote,
                                                                         forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected
