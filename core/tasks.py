"""Celery tasks of the email outbox (core/outbox.py): ids in, the work done by plain functions.
Names are explicit because beat schedules the sweep by name."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)


@shared_task(
    name="core.email_send",
    # The row, not the message, says what is owed: a message lost with its worker is sent again
    # by the sweep, and a redelivered one finds the row taken or sent.
    acks_late=True,
    reject_on_worker_lost=True,
    # A failure to send is written on the row and retried by the sweep after a wait; only a
    # database that cannot be reached is worth Celery's own retry.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=120,
    max_retries=5,
    # Under the outbox's lease (EMAIL_OUTBOX_LEASE_SECONDS), so an attempt is over before the
    # sweep presumes it dead.
    soft_time_limit=60,
    time_limit=90,
    ignore_result=True,
)
def email_send(email_id: int) -> bool:
    from .outbox import email_send as send

    return send(email_id=email_id)


@shared_task(
    name="core.emails_sweep",
    acks_late=True,
    soft_time_limit=50,
    time_limit=60,
    ignore_result=True,
    # Beat sends this every minute: a late copy is worthless once the next one is due.
    expires=55,
)
def emails_sweep() -> int:
    from .outbox import emails_sweep as sweep

    handed = sweep()
    if handed:
        logger.info("email sweep handed %s owed emails to the worker", handed)
    return handed
