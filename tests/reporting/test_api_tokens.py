"""API tokens managed in the service: an NRU administrator makes a named token with an expiry
(its key shown once, kept only as a hash), sees every token with who made it and when it was
last used, and revokes one; the API then refuses it."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import ApplicationError
from reporting.api_tokens import api_token_create, api_token_revoke
from reporting.models import ApiToken
from tests.factories import RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db

KEY = re.compile(r'value="([A-Za-z0-9]{8}\.[A-Za-z0-9]{32})"')


@pytest.fixture
def admin(db):
    return RoleAssignmentFactory(admin=True, user=UserFactory(full_name="Ada Admin")).user


def _make(client, **data):
    return client.post(reverse("reporting:api-token-new"), {"name": "ONS extract",
                                                            "valid_days": "90", **data})


def test_a_token_is_made_and_its_key_shown_once(client, admin):
    client.force_login(admin)
    made = _make(client)
    assert made.status_code == 200
    (key,) = KEY.findall(made.content.decode())
    token = ApiToken.objects.get()
    assert (token.name, token.created_by, token.prefix) == ("ONS extract", admin, key[:8])
    assert token.expiry_date - token.created == dt.timedelta(days=90)
    # Only a hash is kept, and the key appears on no other page.
    assert key.split(".")[1] not in f"{token.id} {token.hashed_key}"
    assert token.is_valid(key)
    listing = client.get(reverse("reporting:api-tokens")).content.decode()
    detail = client.get(reverse("reporting:api-token-revoke", args=[token.prefix])).content.decode()
    for page in (listing, detail):
        assert key not in page and key.split(".")[1] not in page
    assert "ONS extract" in listing and "Ada Admin" in listing and "Never" in listing
    # The key works.
    answer = client.get(reverse("reporting_api:partnership-list"),
                        headers={"Authorization": f"Token {key}"})
    assert answer.status_code == 200


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "  "}, "Enter a name for the token"),
    ({"name": "x" * 51}, "The name must be 50 characters or fewer"),
    ({"valid_days": "3650"}, "Select how long the token is valid for"),
    ({"valid_days": ""}, "Select how long the token is valid for"),
])
def test_a_bad_form_says_why_and_makes_nothing(client, admin, data, message):
    client.force_login(admin)
    answer = _make(client, **data)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "govuk-error-summary" in html and message in html
    assert not ApiToken.objects.exists()


def test_the_list_shows_every_token_with_its_use_and_state(client, admin, time_machine):
    time_machine.move_to(dt.datetime(2002, 3, 1, 9, 0, tzinfo=dt.UTC))
    used, key = api_token_create(name="Used", valid_days=30, created_by=admin)
    api_token_create(name="Lapsing", valid_days=30, created_by=admin)
    revoked, _ = api_token_create(name="Dropped", valid_days=365, created_by=admin)
    time_machine.move_to(dt.datetime(2002, 3, 20, 9, 0, tzinfo=dt.UTC))
    client.get(reverse("reporting_api:decision-list"), headers={"Authorization": f"Token {key}"})
    client.force_login(admin)
    client.post(reverse("reporting:api-token-revoke", args=[revoked.prefix]))
    time_machine.move_to(dt.datetime(2002, 4, 5, 9, 0, tzinfo=dt.UTC))
    client.force_login(admin)  # a session does not last a fortnight
    html = client.get(reverse("reporting:api-tokens")).content.decode()
    rows = dict(re.findall(
        r'<span class="govuk-!-font-weight-bold">([^<]+)</span>(.*?)</tr>', html, re.S))
    assert set(rows) == {"Used", "Lapsing", "Dropped"}
    assert "20 March 2002" in rows["Used"] and ">Expired<" in rows["Used"]
    assert "Never" in rows["Lapsing"] and ">Expired<" in rows["Lapsing"]
    assert ">Revoked<" in rows["Dropped"] and "1 March 2003" in rows["Dropped"]
    used.refresh_from_db()
    assert used.uses.count() == 1


def test_revoking_asks_first_then_refuses_the_key(client, admin):
    token, key = api_token_create(name="Extract", valid_days=30, created_by=admin)
    client.force_login(admin)
    page = client.get(reverse("reporting:api-token-revoke", args=[token.prefix]))
    assert "Revoke the token" in page.content.decode()
    token.refresh_from_db()
    assert not token.revoked
    answer = client.post(reverse("reporting:api-token-revoke", args=[token.prefix]), follow=True)
    assert "is revoked" in answer.content.decode()
    token.refresh_from_db()
    assert token.revoked and token.revoked_by == admin and token.revoked_at is not None
    refused = client.get(reverse("reporting_api:partnership-list"),
                         headers={"Authorization": f"Token {key}"})
    assert refused.status_code == 401
    again = client.post(reverse("reporting:api-token-revoke", args=[token.prefix]), follow=True)
    assert "was already revoked" in again.content.decode()
    assert client.get(reverse("reporting:api-token-revoke", args=["nosuchpf"])).status_code == 404


def test_only_nru_administrators_make_or_revoke_tokens(admin):
    analyst = RoleAssignmentFactory(analyst=True).user
    with pytest.raises(ApplicationError):
        api_token_create(name="Mine", valid_days=30, created_by=analyst)
    token, _ = api_token_create(name="Extract", valid_days=30, created_by=admin)
    with pytest.raises(ApplicationError):
        api_token_revoke(prefix=token.prefix, revoked_by=analyst)


def test_a_tokens_name_is_inert_on_the_pages(client, admin):
    token, _ = api_token_create(name="<script>alert(1)</script>", valid_days=30, created_by=admin)
    other = RoleAssignmentFactory(admin=True).user
    client.force_login(other)
    for url in (reverse("reporting:api-tokens"),
                reverse("reporting:api-token-revoke", args=[token.prefix])):
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_expiry_follows_the_services_clock(admin, time_machine):
    time_machine.move_to(dt.datetime(2002, 3, 1, 9, 0, tzinfo=dt.UTC))
    token, _ = api_token_create(name="Extract", valid_days=30, created_by=admin)
    assert token.created == dt.datetime(2002, 3, 1, 9, 0, tzinfo=dt.UTC)
    assert token.state_at(timezone.now()) == "active"
    assert token.state_at(token.expiry_date) == "expired"
