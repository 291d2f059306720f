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
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

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


def _token(role: str, world) -> str:
    if role == "officer":
        user = RoleAssignmentFactory(officer=True, partnership=world["partnerships"]["Walsall"]).user
    elif role == "reviewer":
        user = RoleAssignmentFactory(reviewer=True, region=world["regions"]["west-midlands"]).user
    else:
        user = RoleAssignmentFactory(**{role: True}).user
    return Token.objects.create(user=user).key


def _get(client, name, token=None, **params):
    headers = {"Authorization": f"Token {token}"} if token else {}
    return client.get(reverse(f"reporting_api:{name}"), params, headers=headers)


@pytest.mark.parametrize("name", ["partnership-list", "allocation-list"])
@pytest.mark.parametrize(("role", "status"), [
    (None, 401), ("officer", 404), ("reviewer", 404), ("analyst", 200), ("admin", 200),
])
def test_partnerships_and_allocations_need_an_nru_token(client, world, name, role, status):
    response = _get(client, name, _token(role, world) if role else None)
    assert response.status_code == status
    if status == 401:
        assert response["WWW-Authenticate"] == "Token"


def test_a_signed_in_session_is_not_a_token(client, world):
    client.force_login(RoleAssignmentFactory(analyst=True).user)
    assert _get(client, "allocation-list").status_code == 401


def test_a_wrong_token_is_refused(client, world):
    assert _get(client, "decision-list", "not-a-token").status_code == 401


def test_partnerships(client, world):
    data = _get(client, "partnership-list", _token("analyst", world), region="west-midlands").json()
    assert data["count"] == 3
    assert [p["slug"] for p in data["results"]] == ["sandwell", "walsall", "wolverhampton"]
    assert data["results"][1] == {
        "slug": "walsall", "name": "Walsall LSP", "authority": "Walsall", "gss_code": "E08000002",
        "region": "west-midlands", "accountable_body": "Walsall Council",
    }
    for region in ("atlantis", "west\x00midlands", "£K\x9eJnT"):
        bad = _get(client, "partnership-list", _token("analyst", world), region=region)
        assert bad.status_code == 400
        assert bad.json() == {"region": ["Select a region from the list"]}


def test_allocations_are_the_dashboard_figures(client, world):
    token = _token("analyst", world)
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
    response = _get(client, "allocation-list", _token("analyst", world), **params)
    assert response.status_code == 400
    assert field in response.json()


def test_allocations_are_paginated(client, world, monkeypatch):
    from reporting import api

    monkeypatch.setattr(api.Pagination, "page_size", 2)
    token = _token("analyst", world)
    first = _get(client, "allocation-list", token).json()
    assert first["count"] == 5 and len(first["results"]) == 2
    assert "page=2" in first["next"]
    assert _get(client, "allocation-list", token, page="9").status_code == 404


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
    assert _get(client, "decision-list", _token("officer", world)).json()["results"][0][
        "cycle"] == "2002/03"
    nru = _get(client, "decision-list", _token("analyst", world), cycle=str(future.year_start))
    assert nru.status_code == 200
    assert nru.json()["results"][0]["decision"] == "accredited"
    assert _get(client, "decision-list", cycle="twenty").status_code == 400


def test_schema_and_documentation_page(client, world):
    schema = client.get(reverse("reporting_api:schema"), {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert set(paths) == {"/api/v1/partnerships/", "/api/v1/allocations/", "/api/v1/decisions/"}
    docs = client.get(reverse("reporting_api:docs"))
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "GET /api/v1/allocations/" in html
    assert "Authorization: Token &lt;key&gt;" in html


def test_schema_validates_without_warnings(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/allocations/" in target.read_text()


# --- Schemathesis: the API against its own schema ----------------------------------------------

def test_api_conforms_to_its_schema(world):
    """Schemathesis generates requests for every operation from the schema (valid and not),
    sent with an NRU token and without: never a server error, and every documented answer
    matches its schema."""
    token = _token("analyst", world)
    # As Django's test client does: a request must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json",
                                                get_wsgi_application())
        operations = [result.ok() for result in schema.get_all_operations()]
        assert {op.path for op in operations} == {
            "/api/v1/partnerships/", "/api/v1/allocations/", "/api/v1/decisions/"}
        for operation in operations:
            with_token = _check_operation(operation, {"Authorization": f"Token {token}"})
            without = _check_operation(operation, {})
            # Each operation answered some generated requests with data, and the token mattered
            # wherever one is needed (the decisions are public once announced).
            assert with_token[200] > 0, (operation.path, with_token)
            if operation.path != "/api/v1/decisions/":
                assert set(without) <= {401, 403}, (operation.path, without)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _check_operation(operation, headers: dict) -> Counter:
    """The generated requests' answers, counted by status."""
    statuses = Counter()

    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def conforms(case):
        response = case.call_and_validate(headers=headers,
                                          checks=[not_a_server_error, response_schema_conformance])
        statuses[response.status_code] += 1
        event(f"answered {response.status_code}")

    conforms()
    return statuses
