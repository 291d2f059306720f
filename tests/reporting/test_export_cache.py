"""The XLSX export is written once per figures version and served from the figures cache until
a committed change moves the version (ADR 0011); the CSV is streamed and always current.

These tests commit for real (transactional database, PostgreSQL: the version is moved by its
triggers)."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core import clock
from tests.factories import RoleAssignmentFactory

from .dashboard_world import build_world

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("require_postgresql")]

XLSX = reverse("reporting:dashboard-export-xlsx")
CSV = reverse("reporting:dashboard-export-csv")
WALSALL_RELEASED = 410_271_604


@pytest.fixture
def analyst_client(client):
    caches["figures"].clear()
    world = build_world()
    client.force_login(RoleAssignmentFactory(analyst=True).user)
    client.world = world
    return client


def _walsall_released(content: bytes):
    sheet = load_workbook(io.BytesIO(content))["Allocations"]
    rows = list(sheet.iter_rows(values_only=True))
    walsall = next(dict(zip(rows[0], row, strict=True)) for row in rows[1:] if row[0] == "Walsall")
    return round(walsall["Released NRF 2002/03 (£)"] * 100)


def _ledger_queries(context: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in context.captured_queries if "funding_releaseentry" in q["sql"]]


def test_a_second_xlsx_with_unchanged_figures_is_not_written_again(analyst_client):
    first = analyst_client.get(XLSX)
    assert first.status_code == 200
    with CaptureQueriesContext(connection) as second_queries:
        second = analyst_client.get(XLSX)
    # Served from the cache: the same bytes, and not a query of the allocations or the ledger.
    assert second.content == first.content
    assert _ledger_queries(second_queries) == []
    assert not [q for q in second_queries.captured_queries
                if "funding_allocation" in q["sql"]]


def test_a_committed_change_is_in_the_next_xlsx_and_csv(analyst_client):
    walsall = analyst_client.world["partnerships"]["Walsall"]
    assert _walsall_released(analyst_client.get(XLSX).content) == WALSALL_RELEASED
    with connection.cursor() as cursor:  # any writer, committed: here raw SQL
        cursor.execute(
            "INSERT INTO funding_releaseentry (allocation_id, amount_pence, target_pence, "
            "allocation_pence, fraction, funding_state, cause, note, created_at, effective_on) "
            "SELECT id, 5, 5, amount_pence, 0, 'deferred', 'manual', '', now(), %s "
            "FROM funding_allocation WHERE partnership_id = %s AND year_id = %s",
            [clock.today(), walsall.pk, analyst_client.world["year"].pk])
    with CaptureQueriesContext(connection) as rebuilt:
        content = analyst_client.get(XLSX).content
    assert _walsall_released(content) == WALSALL_RELEASED + 5
    assert _ledger_queries(rebuilt)  # written again from the database
    text = b"".join(analyst_client.get(CSV, {"status": "deferred"}).streaming_content).decode()
    assert "4102716.09" in text  # £4,102,716.04 + 5p


def test_the_cache_is_per_filter(analyst_client):
    everything = analyst_client.get(XLSX).content
    deferred = analyst_client.get(XLSX, {"status": "deferred"}).content
    rows = list(load_workbook(io.BytesIO(deferred))["Allocations"].iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == ["Walsall"]
    assert everything != deferred


def test_the_360giving_files_are_cached_until_the_figures_change(client):
    caches["figures"].clear()
    world = build_world()
    walsall = world["partnerships"]["Walsall"]
    url = reverse("reporting_public:decisions-360giving-json", args=[2002])

    def walsall_paid(content: bytes) -> list:
        package = json.loads(content, parse_float=Decimal)
        grant = next(g for g in package["grants"] if g["id"].endswith(walsall.local_authority.gss_code))
        return [t["value"] for t in grant["disbursementTransaction"]]

    first = client.get(url)
    assert walsall_paid(first.content) == [Decimal("4102716.04")]
    with CaptureQueriesContext(connection) as again:
        assert client.get(url).content == first.content
    assert _ledger_queries(again) == []
    xlsx = reverse("reporting_public:decisions-360giving-xlsx", args=[2002])
    assert client.get(xlsx).content == client.get(xlsx).content  # written once

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO funding_releaseentry (allocation_id, amount_pence, target_pence, "
            "allocation_pence, fraction, funding_state, cause, note, created_at, effective_on) "
            "SELECT id, 5, 5, amount_pence, 0, 'deferred', 'manual', '', %s, %s "
            "FROM funding_allocation WHERE partnership_id = %s AND year_id = %s",
            [timezone.make_aware(dt.datetime.combine(clock.today(), dt.time(9))), clock.today(),
             walsall.pk, world["year"].pk])
    assert sorted(walsall_paid(client.get(url).content)) == [Decimal("0.05"), Decimal("4102716.04")]
