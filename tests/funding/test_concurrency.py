"""Two recomputes of one partnership at the same moment post each difference once
(PostgreSQL: real row locks, real concurrent connections)."""

import threading

import pytest
from django.db import connections, transaction
from django.db.models import Sum

from funding.ledger import recompute_request_settle, releases_recompute
from funding.models import Allocation, RecomputeRequest, ReleaseEntry
from tests.polling import wait_for, waiting_on_locks

from .conftest import WALSALL_2002_PENCE, make_scenario

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_broker")]


def _run_in_threads(*jobs):
    """Start each job in its own thread (own connection) while this connection holds the
    partnership's allocation locks; release them once every job is waiting on them."""
    results, errors = [None] * len(jobs), []

    def runner(i, job):
        try:
            results[i] = job()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    with transaction.atomic():
        list(Allocation.objects.select_for_update().order_by("id"))
        for t in threads:
            t.start()
        wait_for(lambda: waiting_on_locks() >= len(jobs), timeout=10, every=0.02,
                 message="the recomputes never queued on the lock")
    for t in threads:
        t.join(timeout=20)
    assert not errors, errors
    return results


def test_two_recomputes_at_once_post_each_difference_once(require_postgresql):
    walsall = make_scenario()
    walsall.defer()

    first, second = _run_in_threads(
        lambda: releases_recompute(partnership=walsall.partnership),
        lambda: releases_recompute(partnership=walsall.partnership),
    )

    assert sorted([len(first), len(second)]) == [0, 2]
    assert ReleaseEntry.objects.count() == 2
    total = ReleaseEntry.objects.filter(allocation=walsall.nrf_2002).aggregate(t=Sum("amount_pence"))
    assert total["t"] == WALSALL_2002_PENCE * 67 // 100


def test_two_workers_settling_different_requests_at_once_post_once(require_postgresql):
    walsall = make_scenario()
    walsall.defer()
    walsall.start_review()
    walsall.accredit()
    newest, older = RecomputeRequest.objects.order_by("-id")[:2]

    _run_in_threads(
        lambda: recompute_request_settle(request_id=newest.pk),
        lambda: recompute_request_settle(request_id=older.pk),
    )

    assert ReleaseEntry.objects.filter(allocation=walsall.nrf_2002).count() == 1
    assert ReleaseEntry.objects.filter(allocation=walsall.nrf_2002).get().amount_pence == (
        WALSALL_2002_PENCE
    )
    assert not RecomputeRequest.objects.filter(completed_at=None).exists()
