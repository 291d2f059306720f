"""The outbox end to end: transitions commit, tasks travel through Redis to real worker
processes, and the ledger in PostgreSQL ends exact, whatever happens on the way."""

import contextlib
import os
import signal
from datetime import timedelta

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Sum

from accreditation.models import AccreditationEvent, Status
from funding.models import RecomputeRequest, ReleaseEntry
from funding.outbox import recompute_enqueue, recomputes_requeue_owed
from funding.tasks import recomputes_requeue_owed as recomputes_requeue_owed_task
from tests.funding.celery_control import broker_down, celery_publishing
from tests.funding.conftest import WALSALL_2002_PENCE, make_scenario
from tests.polling import wait_for, waiting_on_locks

pytestmark = [
    pytest.mark.integration,
    pytest.mark.xdist_group("worker"),
    pytest.mark.django_db(transaction=True),
]

SIXTY_SEVEN = WALSALL_2002_PENCE * 67 // 100


def released(allocation) -> int:
    return ReleaseEntry.objects.filter(allocation=allocation).aggregate(
        t=Sum("amount_pence"))["t"] or 0


def nothing_owed() -> bool:
    return not RecomputeRequest.objects.filter(completed_at=None).exists()


@contextlib.contextmanager
def allocations_locked(partnership):
    """Hold the partnership's allocation rows FOR UPDATE on a connection of its own, so this
    test's own writes (autocommit) do not hold any lock the workers need."""
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("SELECT id FROM funding_allocation WHERE partnership_id = %s "
                           "ORDER BY id FOR UPDATE", [partnership.pk])
        yield
        other.rollback()
    finally:
        other.close()


def test_deferral_then_accreditation_through_a_real_worker(start_worker, publish_to_workers):
    worker = start_worker()
    walsall = make_scenario()  # submitted and under review: each transition enqueued on commit
    walsall.defer()
    wait_for(lambda: nothing_owed() and released(walsall.nrf_2002) == SIXTY_SEVEN,
             message=f"deferral not applied:\n{worker.output()}")
    deferred = ReleaseEntry.objects.get(allocation=walsall.nrf_2002)
    assert deferred.event.to_status == Status.DEFERRED
    assert WALSALL_2002_PENCE - released(walsall.nrf_2002) == 126_390_000

    walsall.start_review()
    walsall.accredit()
    wait_for(lambda: nothing_owed() and released(walsall.nrf_2002) == WALSALL_2002_PENCE,
             message=f"accreditation not applied:\n{worker.output()}")
    last = ReleaseEntry.objects.filter(allocation=walsall.nrf_2002).latest("id")
    assert last.amount_pence == WALSALL_2002_PENCE - SIXTY_SEVEN
    assert last.event == AccreditationEvent.objects.filter(to_status=Status.ACCREDITED).get()
    assert ReleaseEntry.objects.filter(allocation=walsall.nrf_2002).count() == 2
    assert all(r.last_enqueued_at for r in RecomputeRequest.objects.all())


def test_transitions_made_while_the_broker_is_down_are_applied_by_the_sweep(
    start_worker, require_redis, queue_name
):
    """Twenty decisions with Redis unreachable: every one commits, every recompute stays owed;
    once the broker is back, one sweep sends them and the worker settles them all."""
    scenarios = []
    with broker_down():
        for n in range(10):
            s = make_scenario(name=f"Town{n}", state="submitted")
            s.start_review(s.assessment())                      # transition 2n + 1
            (s.defer if n % 2 else s.accredit)(s.assessment())  # transition 2n + 2
            scenarios.append(s)
    decisions = AccreditationEvent.objects.filter(
        to_status__in=[Status.UNDER_REVIEW, Status.DEFERRED, Status.ACCREDITED])
    assert decisions.count() == 20
    assert RecomputeRequest.objects.filter(completed_at=None, last_enqueued_at=None).count() == 30
    assert not ReleaseEntry.objects.exists()

    worker = start_worker()
    with celery_publishing(url=require_redis, queue=queue_name, eager=False):  # the broker is back
        assert recomputes_requeue_owed(older_than=timedelta(0)) == 10
    wait_for(nothing_owed, message=f"owed recomputes not settled:\n{worker.output()}")
    for n, s in enumerate(scenarios):
        assert released(s.nrf_2002) == (SIXTY_SEVEN if n % 2 else WALSALL_2002_PENCE)
        assert released(s.nrf_2001) == s.nrf_2001.amount_pence


def test_a_worker_killed_mid_recompute_is_redelivered_without_double_posting(
    start_worker, publish_to_workers
):
    """SIGKILL of the pool process while it waits for the partnership's locks: the
    unacknowledged message goes back to the queue (acks_late, reject_on_worker_lost), a fresh
    process runs it again, and the killed transaction never commits anything."""
    worker = start_worker(pool="prefork")
    with broker_down():
        walsall = make_scenario()
        walsall.defer()
    request = RecomputeRequest.objects.filter(completed_at=None).latest("id")

    def attempts() -> int:
        return RecomputeRequest.objects.get(pk=request.pk).attempts

    with allocations_locked(walsall.partnership):
        assert recompute_enqueue(request_id=request.pk)
        wait_for(lambda: attempts() == 1 and waiting_on_locks() >= 1,
                 message=f"recompute never reached the lock:\n{worker.output()}")
        [child] = worker.children()
        os.kill(child, signal.SIGKILL)
        wait_for(lambda: "WorkerLostError" in worker.output(),
                 message=f"the pool did not notice the kill:\n{worker.output()}")
        wait_for(lambda: attempts() == 2,
                 message=f"task not redelivered after the kill:\n{worker.output()}")
        assert not ReleaseEntry.objects.exists()
    wait_for(nothing_owed, message=f"redelivered recompute did not finish:\n{worker.output()}")

    assert ReleaseEntry.objects.filter(allocation=walsall.nrf_2002).count() == 1
    assert released(walsall.nrf_2002) == SIXTY_SEVEN
    assert released(walsall.nrf_2001) == walsall.nrf_2001.amount_pence


def test_two_workers_recomputing_one_partnership_at_once_post_each_difference_once(
    start_worker, publish_to_workers
):
    workers = [start_worker(), start_worker()]
    with broker_down():
        walsall = make_scenario()
        walsall.defer()
    newest, older = RecomputeRequest.objects.order_by("-id")[:2]

    with allocations_locked(walsall.partnership):
        assert recompute_enqueue(request_id=newest.pk)
        assert recompute_enqueue(request_id=older.pk)
        wait_for(lambda: waiting_on_locks() >= 2,
                 message="both workers should be waiting on the partnership's lock:\n"
                 + "\n".join(w.output() for w in workers))
    # Each worker ran one of the two; the second found nothing left to post.
    wait_for(lambda: nothing_owed() and all("succeeded" in w.output() for w in workers),
             message="\n".join(w.output() for w in workers))
    assert ReleaseEntry.objects.filter(allocation=walsall.nrf_2002).count() == 1
    assert ReleaseEntry.objects.filter(allocation=walsall.nrf_2001).count() == 1
    assert released(walsall.nrf_2002) == SIXTY_SEVEN


def test_with_the_broker_unreachable_at_commit_the_transition_succeeds_and_stays_owed(
    require_postgresql, start_worker, publish_to_workers
):
    walsall = make_scenario()
    worker = start_worker()
    wait_for(nothing_owed, message=worker.output())
    with broker_down():
        assessment = walsall.defer()
    assert assessment.status == Status.DEFERRED
    owed = RecomputeRequest.objects.get(completed_at=None)
    assert owed.last_enqueued_at is None
    assert released(walsall.nrf_2002) == 0

    RecomputeRequest.objects.filter(pk=owed.pk).update(
        requested_at=owed.requested_at - timedelta(minutes=2))
    assert recomputes_requeue_owed_task() == 1  # what beat sends every minute
    wait_for(nothing_owed, message=worker.output())
    assert released(walsall.nrf_2002) == SIXTY_SEVEN
    assert ReleaseEntry.objects.get(allocation=walsall.nrf_2002).event.to_status == Status.DEFERRED
