"""The dashboard's figures computed by the worker right after a committed change, before any
reader asks (docs/adr/0024-figures-warmed-after-commit.md).

When funding's ledger grows (`funding.signals.ledger_changed`) or an assessment's status changes
(`accreditation.signals.transition_recorded`), the transaction that did it enqueues
`reporting.figures_warm` once it commits. The worker then computes, for the committed figures
version, what the dashboard's first page needs that is costly (the regional aggregates and the
first page of the partnership table) and stores it (`reporting.figures_snapshots`). The first
reader in each web process reads that (one query each) instead of computing it. A reader that
comes before the worker has finished, or after a change nobody announced (the admin, raw SQL),
computes as before (ADR 0011); beat runs the warm-up every minute as well, so such changes are
warmed too.
"""

import logging

from celery import current_app
from django.db import connection, transaction
from django.http import QueryDict

from funding.models import FiguresVersion

from . import dashboard
from .dashboard_views import PAGE_SIZE, table_request
from .figures_cache import figures_recording
from .figures_snapshots import figures_snapshots_write
from .models import FiguresSnapshot

logger = logging.getLogger(__name__)

WARM_TASK = "reporting.figures_warm"


def _dashboard_first_page() -> None:
    """What the dashboard computes for its first page with nothing asked for (the page most
    read): the default fund-year's regions, then the table's first page."""
    request = table_request(QueryDict())
    if request.scope is None:
        return
    dashboard.dashboard_page_rows(request.scope, filters=request.filters, sort=request.sort,
                                  descending=request.descending, offset=0, limit=PAGE_SIZE)


def figures_warm() -> int | None:
    """Compute and store the warmed figures for the committed figures version; return that
    version, or None when there was nothing to do (already warmed at this version, a database
    without the figures version, or called inside a transaction).

    The figures and the version they are stored under are read in one REPEATABLE READ
    snapshot, so they are exactly the figures of that version even if another change commits
    meanwhile (that one moves the version, and is warmed by its own task)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    with transaction.atomic():
        with connection.cursor() as cursor:  # the transaction's first statement
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        version = FiguresVersion.objects.filter(pk=1).values_list("version", flat=True).first()
        if version is None or FiguresSnapshot.objects.filter(version=version).exists():
            return None
        items = figures_recording(_dashboard_first_page)
    figures_snapshots_write(version=version, items=items)
    return version


def figures_warm_enqueue() -> bool:
    """Hand the warm-up to the worker. A broker outage is logged, not raised: readers then
    compute the figures themselves, as without a warm-up."""
    try:
        current_app.tasks[WARM_TASK].apply_async(retry=False)
    except Exception:  # the broker, or in eager mode the task itself
        logger.warning("figures warm-up not enqueued", exc_info=True)
        return False
    return True


def figures_warm_after_commit(**kwargs) -> None:
    """Receiver of the signals above: warm the figures once the sender's transaction commits
    (never if it rolls back)."""
    transaction.on_commit(figures_warm_enqueue, robust=True)
