"""Celery tasks: ids in, the service does the work. Names are explicit because beat schedules
them by name; the outbox sends the recompute (`funding.outbox.recompute_enqueue`)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)


@shared_task(
    name="funding.releases_recompute",
    acks_late=True,
    reject_on_worker_lost=True,
    # Lost connections, deadlocks and serialisation failures are worth another try; anything
    # else leaves the request owed for the sweep and the logs.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=60,
    time_limit=90,
    ignore_result=True,
)
def releases_recompute(request_id: int) -> int | None:
    """Settle one owed recompute; nothing to do when it is already settled."""
    from .ledger import recompute_request_settle

    entries = recompute_request_settle(request_id=request_id)
    return None if entries is None else len(entries)


@shared_task(
    name="funding.recomputes_requeue_owed",
    acks_late=True,
    soft_time_limit=50,
    time_limit=60,
    ignore_result=True,
    # Beat sends this every minute: a late copy is worthless once the next one is due.
    expires=55,
)
def recomputes_requeue_owed(older_than_seconds: int = 60) -> int:
    from .outbox import recomputes_requeue_owed as requeue

    sent = requeue(older_than=timedelta(seconds=older_than_seconds))
    if sent:
        logger.info("re-sent %s owed recomputes", sent)
    return sent


@shared_task(
    name="funding.releases_reconcile",
    acks_late=True,
    soft_time_limit=30 * 60,
    time_limit=35 * 60,
    ignore_result=True,
)
def releases_reconcile(repair: bool = False) -> int:
    from .ledger import releases_reconcile as reconcile

    run = reconcile(repair=repair, requested_by="beat" if not repair else "beat (repair)")
    return run.pk
