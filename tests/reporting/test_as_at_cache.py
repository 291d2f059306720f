"""The figures cache keys the position as at a day by that day (ADR 0011, ADR 0021): a past
day's figures are cached apart from today's and from other days', and a back-dated ledger entry
recorded afterwards (a decision dated in the past) shows in them at once.

PostgreSQL only (no cache elsewhere); these tests commit for real."""

import datetime as dt
from dataclasses import replace

import pytest
from django.core.cache import caches
from django.db import connection

from core import clock
from funding.models import Allocation, ReleaseEntry
from reporting import dashboard
from tests.factories import RoleAssignmentFactory

from .dashboard_world import build_world

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("require_postgresql")]


@pytest.fixture
def world():
    caches["figures"].clear()
    world = build_world()
    world["analyst"] = RoleAssignmentFactory(analyst=True).user
    return world


def _released(scope) -> int:
    return sum(r.released_pence for r in dashboard.dashboard_regions(scope))


def test_each_day_is_cached_apart_and_a_back_dated_entry_shows_at_once(
        client, world, django_assert_max_num_queries):
    today = clock.today()
    yesterday, last_week = today - dt.timedelta(days=1), today - dt.timedelta(days=7)
    entries = list(ReleaseEntry.objects.filter(allocation__year=world["year"]).values_list(
        "amount_pence", "effective_on"))
    before = sum(amount for amount, day in entries if day < last_week)
    now_total = _released(world["scope"])
    assert now_total == sum(amount for amount, _ in entries) > before  # some took effect today
    assert _released(replace(world["scope"], as_at=yesterday)) == before
    assert _released(replace(world["scope"], as_at=last_week)) == before
    with django_assert_max_num_queries(2):  # the version, once per read: both from the cache
        assert _released(replace(world["scope"], as_at=yesterday)) == before
        assert _released(world["scope"]) == now_total

    walsall = Allocation.objects.get(partnership=world["partnerships"]["Walsall"],
                                     year=world["year"])
    with connection.cursor() as cursor:  # committed at once: a decision dated three days ago
        cursor.execute(
            "INSERT INTO funding_releaseentry (allocation_id, amount_pence, target_pence, "
            "allocation_pence, fraction, funding_state, cause, note, created_at, effective_on) "
            "VALUES (%s, 5, 5, %s, 0, 'deferred', 'manual', '', now(), %s)",
            [walsall.pk, walsall.amount_pence, today - dt.timedelta(days=3)])
    assert _released(replace(world["scope"], as_at=yesterday)) == before + 5
    assert _released(replace(world["scope"], as_at=last_week)) == before
    assert _released(world["scope"]) == now_total + 5

    client.force_login(world["analyst"])
    response = client.get("/nru/", {"as_at": yesterday.isoformat()})
    assert response.context["headline"].released_pence == before + 5
