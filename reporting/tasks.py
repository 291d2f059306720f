"""Celery tasks of the read side. Names are explicit because beat schedules them by name."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(
    name="reporting.announcements_take_due",
    acks_late=True,
    soft_time_limit=240,
    time_limit=300,
    ignore_result=True,
    # Beat sends this every few minutes: a late copy is worthless once the next one is due.
    expires=240,
)
def announcements_take_due() -> int:
    """Record the announcement of every cycle whose date has come on the service's clock, so
    that it is kept as announced even if nobody reads the public pages that day."""
    from core import clock

    from .announcements import announcements_take_due as take

    taken = take(today=clock.today())
    for announcement in taken:
        logger.info("recorded the announcement of %s", announcement.cycle)
    return len(taken)


@shared_task(
    name="reporting.figures_warm",
    acks_late=True,
    soft_time_limit=50,
    time_limit=60,
    ignore_result=True,
)
def figures_warm() -> int | None:
    """Compute the dashboard's figures for the committed figures version before any reader asks
    (sent after each committed change to the ledger or an assessment's status, and by beat)."""
    from .figures_warm import figures_warm as warm

    return warm()
