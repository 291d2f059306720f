"""The read API: the dashboard's figures and the published decisions as JSON, scoped like the
pages, and an OpenAPI schema that Schemathesis checks the API against."""

import datetime as dt
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from partnerships.models import RoleAssignment
from reporting.api_tokens import api_token_create
from reporting.models import ApiToken, ApiTokenUse
from tests.factories import (
    AllocationFactory,
    CycleFactory,
    FinancialYearFactory,
    RoleAssignmentFactory,
    SelfAssessmentFactory,
)

from .dashboard_world import build_world

pytestmark = pytest.mark.django_db

WALSALL = 612_345_679


@pytest.fixture
def world(db):
    return build_world()


def _token(world=None, *, days: int = 30) -> str:
    """A key made by an NRU administrator on the API tokens page (reporting.api_tokens)."""
    admin = RoleAssignmentFactory(admin=True).user
    return api_token_create(name="Extract", valid_days=days, created_by=admin)[1]


def _user(role: str, world):
    if role == "officer":
        return RoleAssignmentFactory(officer=True, partnership=world["partnerships"]["Walsall"]).user
    if role == "reviewer":
        return RoleAssignmentFactory(reviewer=True, region=world["regions"]["west-midlands"]).user
    return RoleAssignmentFactory(**{role: True}).user


def _get(client, name, token=None, **params):
    headers = {"Authorization": f"Token {token}"} if token else {}
    return client.get(reverse(f"reporting_api:{name}"), params, headers=headers)


@pytest.mark.parametrize("name", ["partnership-list", "allocation-list"])
def test_partnerships_and_allocations_need_a_token_or_an_nru_session(client, world, name):
    response = _get(client, name)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert _get(client, name, _token(world)).status_code == 200


@pytest.mark.parametrize("name", ["partnership-list", "allocation-list"])
@pytest.mark.parametrize(("role", "status"), [
    ("officer", 404), ("reviewer", 404), ("analyst", 200), ("admin", 200),
])
def test_a_signed_in_session_reads_the_api_as_the_pages_answer(client, world, name, role, status):
    client.force_login(_user(role, world))
    assert _get(client, name).status_code == status


def test_a_session_only_reads(world):
    """The API only reads; a write with a session but no CSRF token is refused before anything
    else (DRF's SessionAuthentication keeps the CSRF check for unsafe methods)."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(_user("analyst", world))
    url = reverse("reporting_api:partnership-list")
    assert browser.get(url).status_code == 200
    refused = browser.post(url, {})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]


@pytest.mark.parametrize(("header", "reason"), [
    ("Token not-a-token", "malformed"),
    ("Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", "malformed"),  # an old authtoken key
    ("Token abcdefgh.abcdefghabcdefghabcdefghabcdefgh", "not recognised"),
    ("Token", "malformed"),
    ("Token \u00e9t\u00e9", "malformed"),
])
def test_a_wrong_token_is_401_with_the_reason(client, world, header, reason):
    response = client.get(reverse("reporting_api:partnership-list"),
                          headers={"Authorization": header})
    assert response.status_code == 401
    assert reason in response.json()["detail"]
    assert not ApiTokenUse.objects.exists()


def test_a_key_with_the_right_prefix_and_a_wrong_secret_is_not_recognised(client, world):
    key = _token(world)
    wrong = key[:9] + ("A" if key[9] != "A" else "B") + key[10:]
    response = _get(client, "partnership-list", wrong)
    assert response.status_code == 401
    assert "not recognised" in response.json()["detail"]


def test_an_expired_token_is_401_saying_when_it_expired(client, world, time_machine):
    key = _token(world, days=30)
    time_machine.move_to(timezone.now() + dt.timedelta(days=30, minutes=1))
    response = _get(client, "allocation-list", key)
    assert response.status_code == 401
    assert "expired on" in response.json()["detail"]


def test_a_revoked_token_is_401(client, world):
    from reporting.api_tokens import api_token_revoke

    key = _token(world)
    assert _get(client, "partnership-list", key).status_code == 200
    token = ApiToken.objects.get(prefix=key.split(".")[0])
    api_token_revoke(prefix=token.prefix, revoked_by=token.created_by)
    response = _get(client, "partnership-list", key)
    assert response.status_code == 401
    assert "was revoked on" in response.json()["detail"]


def test_a_token_lapses_with_its_creators_nru_role(client, world):
    key = _token(world)
    token = ApiToken.objects.get(prefix=key.split(".")[0])
    RoleAssignment.objects.filter(user=token.created_by).delete()
    response = _get(client, "partnership-list", key)
    assert response.status_code == 401
    assert "no longer holds an NRU role" in response.json()["detail"]


def test_every_use_of_a_token_is_recorded(client, world):
    key = _token(world)
    token = ApiToken.objects.get(prefix=key.split(".")[0])
    assert token.last_used_at is None
    _get(client, "partnership-list", key, region="west-midlands")
    _get(client, "decision-list", key)
    token.refresh_from_db()
    assert token.last_used_at is not None
    uses = list(token.uses.values_list("method", "path"))
    assert uses == [("GET", "/api/v1/decisions/"), ("GET", "/api/v1/partnerships/?region=west-midlands")]
    assert key not in token.hashed_key and key.split(".")[1] not in token.id


def test_partnerships(client, world):
    data = _get(client, "partnership-list", _token(world), region="west-midlands").json()
    assert data["count"] == 3
    assert [p["slug"] for p in data["results"]] == ["sandwell", "walsall", "wolverhampton"]
    assert data["results"][1] == {
        "slug": "walsall", "name": "Walsall LSP", "authority": "Walsall", "gss_code": "E08000002",
        "region": "west-midlands", "accountable_body": "Walsall Council",
    }
    for region in ("atlantis", "west\x00midlands", "£K\x9eJnT"):
        bad = _get(client, "partnership-list", _token(world), region=region)
        assert bad.status_code == 400
        assert bad.json() == {"region": ["Select a region from the list"]}


def test_allocations_are_the_dashboard_figures(client, world):
    token = _token(world)
    data = _get(client, "allocation-list", token, status="deferred").json()
    (walsall,) = data["results"]
    assert walsall == {
        "partnership": "walsall", "authority": "Walsall", "gss_code": "E08000002",
        "region": "west-midlands", "fund": "NRF", "year": "2002/03", "status": "deferred",
        "amount_pence": WALSALL, "released_pence": WALSALL * 67 // 100,
        "held_pence": WALSALL - WALSALL * 67 // 100, "provenance": "illustrative", "source": None,
    }
    every = _get(client, "allocation-list", token, sort="held", order="desc").json()
    assert every["count"] == 5
    assert [a["partnership"] for a in every["results"]][:2] == ["sandwell", "wolverhampton"]
    earlier = _get(client, "allocation-list", token, year="2001/02").json()
    assert {a["year"] for a in earlier["results"]} == {"2001/02"}
    assert all(a["held_pence"] == 0 for a in earlier["results"])


@pytest.mark.parametrize(("params", "field"), [
    ({"status": "bribed"}, "status"), ({"fund": "XYZ"}, "fund"), ({"sort": "password"}, "__all__"),
    ({"region": "atlantis"}, "region"), ({"region": "west\x00midlands"}, "region"),
    ({"year": "2002\x00/03"}, "year"), ({"fund": "N\x00RF"}, "fund"),
])
def test_bad_filters_are_400_with_the_reason(client, world, params, field):
    response = _get(client, "allocation-list", _token(world), **params)
    assert response.status_code == 400
    assert field in response.json()


def test_allocations_are_paginated(client, world, monkeypatch):
    from reporting import api

    monkeypatch.setattr(api.Pagination, "page_size", 2)
    token = _token(world)
    first = _get(client, "allocation-list", token).json()
    assert first["count"] == 5 and len(first["results"]) == 2
    assert "page=2" in first["next"]
    beyond = _get(client, "allocation-list", token, page="9")
    assert beyond.status_code == 400
    assert beyond.json() == {"page": ["There is no page 9: the pages run from 1 to 3"]}


def test_page_size_is_honoured_up_to_its_maximum(client, world):
    token = _token(world)
    two = _get(client, "allocation-list", token, page_size="2", page="3").json()
    assert two["count"] == 5 and len(two["results"]) == 1 and two["next"] is None
    assert len(_get(client, "allocation-list", token, page_size="200").json()["results"]) == 5
    for bad in ("201", "0", "-1", "ten", "٣"):
        response = _get(client, "allocation-list", token, page_size=bad)
        assert response.status_code == 400, bad
        assert response.json() == {"page_size": ["Give page_size as a whole number from 1 to 200"]}
    for bad in ("0", "last", "1.5"):
        assert _get(client, "decision-list", page=bad).status_code == 400


def test_decisions_open_to_anyone_once_announced(client, world):
    data = _get(client, "decision-list").json()
    assert data["count"] == 5
    walsall = next(d for d in data["results"] if d["partnership"] == "walsall")
    assert walsall == {
        "cycle": "2002/03", "announcement_date": "2002-02-28", "partnership": "walsall",
        "authority": "Walsall", "gss_code": "E08000002", "region": "west-midlands",
        "decision": "deferred", "decided_on": "2002-02-28", "review_date": "2002-03-28",
        "nrf_allocation_pence": WALSALL,
        "provenance": "illustrative", "source": None,
    }


def test_decisions_of_a_cycle_not_yet_announced_only_for_nru(client, world):
    today = timezone.localdate()
    future = CycleFactory(year_start=today.year + 1, announcement_date=dt.date(today.year + 1, 2, 28))
    AllocationFactory(partnership=world["partnerships"]["Walsall"], fund=world["nrf"],
                      year=FinancialYearFactory(start_year=today.year + 1))
    SelfAssessmentFactory(partnership=world["partnerships"]["Walsall"], cycle=future,
                          state="accredited")
    assert _get(client, "decision-list", cycle=str(future.year_start)).status_code == 404
    assert _get(client, "decision-list").json()["results"][0]["cycle"] == "2002/03"
    nru = _get(client, "decision-list", _token(world), cycle=str(future.year_start))
    assert nru.status_code == 200
    assert nru.json()["results"][0]["decision"] == "accredited"
    assert _get(client, "decision-list", cycle="twenty").status_code == 400


def test_schema_and_documentation_page(client, world):
    schema = client.get(reverse("reporting_api:schema"), {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert set(paths) == {"/api/v1/", "/api/v1/partnerships/", "/api/v1/allocations/",
                          "/api/v1/decisions/"}
    page_size = next(p for p in paths["/api/v1/allocations/"]["get"]["parameters"]
                     if p["name"] == "page_size")
    assert page_size["schema"] == {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}
    docs = client.get(reverse("reporting_api:docs"))
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "GET /api/v1/allocations/" in html
    assert "Authorization: Token &lt;key&gt;" in html
    assert "at most 200" in html


def test_the_api_root_lists_its_endpoints(client, world):
    index = client.get("/api/v1/")
    assert index.status_code == 200
    data = index.json()
    assert {k: v["url"] for k, v in data["endpoints"].items()} == {
        "partnerships": "http://testserver/api/v1/partnerships/",
        "allocations": "http://testserver/api/v1/allocations/",
        "decisions": "http://testserver/api/v1/decisions/",
    }
    assert data["schema"] == "http://testserver/api/schema/"
    assert data["documentation"] == "http://testserver/api/docs/"
    assert (data["page_size"], data["max_page_size"]) == (50, 200)
    for endpoint in data["endpoints"].values():
        assert client.get(endpoint["url"]).status_code in (200, 401)


def test_schema_validates_without_warnings(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/allocations/" in target.read_text()


# --- Schemathesis: the API against its own schema ----------------------------------------------

def test_api_conforms_to_its_schema(world):
    """Schemathesis generates requests for every operation from the schema (valid and not),
    sent with an NRU token, with an expired, a revoked and a malformed one, and without: never
    a server error, and every documented answer matches its schema."""
    from reporting.api_tokens import api_token_revoke

    token = _token(world)
    revoked = _token(world)
    api_token_revoke(prefix=revoked.split(".")[0],
                     revoked_by=ApiToken.objects.get(prefix=revoked.split(".")[0]).created_by)
    expired = _token(world)
    ApiToken.objects.filter(prefix=expired.split(".")[0]).update(
        expiry_date=timezone.now() - dt.timedelta(days=1))
    # As Django's test client does: a request must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json",
                                                get_wsgi_application())
        operations = [result.ok() for result in schema.get_all_operations()]
        assert {op.path for op in operations} == {
            "/api/v1/", "/api/v1/partnerships/", "/api/v1/allocations/", "/api/v1/decisions/"}
        for operation in operations:
            with_token = _check_operation(operation, {"Authorization": f"Token {token}"},
                                          examples=40)
            without = _check_operation(operation, {}, examples=40)
            # Each operation answered some generated requests with data, and the token mattered
            # wherever one is needed (the index and the decisions, once announced, are public).
            assert with_token[200] > 0, (operation.path, with_token)
            if operation.path not in ("/api/v1/", "/api/v1/decisions/"):
                assert set(without) <= {401, 403}, (operation.path, without)
            for refused in (revoked, expired, "not.a-token"):
                answers = _check_operation(operation, {"Authorization": f"Token {refused}"},
                                           examples=10)
                assert answers[401] > 0, (operation.path, refused, answers)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _check_operation(operation, headers: dict, *, examples: int) -> Counter:
    """The generated requests' answers, counted by status."""
    statuses: Counter = Counter()

    @given(case=operation.as_strategy())
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def conforms(case):
        response = case.call_and_validate(headers=headers,
                                          checks=[not_a_server_error, response_schema_conformance])
        statuses[response.status_code] += 1
        event(f"answered {response.status_code}")

    conforms()
    return statuses
