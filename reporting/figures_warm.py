"""The dashboard's figures, and its XLSX export, computed by the worker right after a committed
change, before any reader asks (docs/adr/0024-figures-warmed-after-commit.md).

When funding's ledger grows (`funding.signals.ledger_changed`) or an assessment's status changes
(`accreditation.signals.transition_recorded`), the transaction that did it enqueues
`reporting.figures_warm` once it commits. The worker then computes, for the committed figures
version, what the dashboard's first page needs that is costly (the regional aggregates and the
first page of the partnership table) and stores it (`reporting.figures_snapshots`); then, in a
second step, the XLSX the dashboard's "Download XLSX" link asks for with nothing chosen (the
default fund-year, no filter, the default sort, today), stored beside them. The first reader in
each web process reads those (one query each) instead of computing them. A reader that comes
before the worker has finished, or after a change nobody announced (the admin, raw SQL),
computes as before (ADR 0011); beat runs the warm-up every minute as well, so such changes are
warmed too, and so is the export of a new day (its date is part of the file). Other fund-years,
filters, sorts and days are written by their first reader in each process, as before.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from celery import current_app
from django.db import connection, transaction
from django.http import QueryDict

from core import clock
from funding.models import FiguresVersion

from . import dashboard, dashboard_choices, exports
from .dashboard_views import PAGE_SIZE, table_request
from .figures_cache import figures_recording, parts_key
from .figures_snapshots import DASHBOARD, EXPORT_XLSX, figures_snapshots_write
from .models import FiguresSnapshot

logger = logging.getLogger(__name__)

WARM_TASK = "reporting.figures_warm"
# PostgreSQL advisory locks (session level), one per step: held while one worker process warms
# the dashboard's figures, or writes the export. Another warm-up meanwhile leaves that step to
# the process holding it, which warms the latest committed version before it lets go and looks
# again once it has (`_warm_latest`): a burst of changes is warmed by one process, version after
# version, instead of once per change. Nothing else in the service takes advisory locks.
DASHBOARD_LOCK = 240_024_002
EXPORT_LOCK = 240_024_001

# What computes the figures to be stored at a version, or None when they are stored already.
Plan = Callable[[int], Callable[[], object] | None]


def _dashboard_first_page() -> None:
    """What the dashboard computes for its first page with nothing asked for (the page most
    read): the default fund-year's regions, then the table's first page."""
    request = table_request(QueryDict())
    if request.scope is None:
        return
    dashboard.dashboard_page_rows(request.scope, filters=request.filters, sort=request.sort,
                                  descending=request.descending, offset=0, limit=PAGE_SIZE)


def _dashboard_plan(version: int) -> Callable[[], object] | None:
    if FiguresSnapshot.objects.filter(version=version, name__in=DASHBOARD).exists():
        return None
    return _dashboard_first_page


def _export_plan(version: int) -> Callable[[], object] | None:
    """The XLSX the dashboard's link asks for with nothing chosen: what `table_request` makes
    of an empty query string (the default fund-year, no filter, the default sort, ascending,
    today), without the regional aggregates it would compute for the form's choices. Written
    by `exports.xlsx_cached`, as the export view writes it, so that it is stored under the key
    the view looks for (tests/reporting/test_figures_warm.py reads it through the view)."""
    choice = dashboard_choices.chosen("", "")
    if choice.fund is None or choice.year is None:
        return None
    scope = dashboard.dashboard_scope(fund=choice.fund, year=choice.year)
    filters, sort, descending = dashboard.TableFilters(), dashboard.DEFAULT_SORT, False
    as_at = clock.today()
    key = parts_key(exports.xlsx_parts(scope, filters=filters, sort=sort, descending=descending,
                                       as_at=as_at))
    if FiguresSnapshot.objects.filter(name=EXPORT_XLSX, key=key, version=version).exists():
        return None
    return lambda: exports.xlsx_cached(scope, filters=filters, sort=sort,
                                       descending=descending, as_at=as_at)


def _warm(plan: Plan, *, after: int | None = None) -> int | None:
    """Compute what `plan` asks for at the committed figures version and store it; return that
    version, or None when there was nothing to do (`after` is the version this warm-up has just
    taken the step at: not again, even when there was nothing to store, such as a database with
    no figures yet).

    The figures and the version they are stored under are read in one REPEATABLE READ
    snapshot, so they are exactly the figures of that version even if another change commits
    meanwhile (that one moves the version, and is warmed by its own task)."""
    with transaction.atomic():
        with connection.cursor() as cursor:  # the transaction's first statement
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        version = FiguresVersion.objects.filter(pk=1).values_list("version", flat=True).first()
        if version is None or version == after:
            return None
        work = plan(version)
        if work is None:
            return None
        items = figures_recording(work)
    figures_snapshots_write(version=version, items=items)
    return version


@contextmanager
def _step_lock(lock: int) -> Iterator[bool]:
    """Whether this process may take the step now (no other warm-up is taking it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [lock])


def _work_left(plan: Plan, *, after: int | None) -> bool:
    """Whether `plan` has something to store at the committed version, if that is a version
    other than `after` (the one just warmed)."""
    with transaction.atomic():
        version = FiguresVersion.objects.filter(pk=1).values_list("version", flat=True).first()
        return version is not None and version != after and plan(version) is not None


def _warm_latest(lock: int, plan: Plan) -> int | None:
    """Take the step under its lock until the committed version is warmed; the version warmed
    last, or None. When another process holds the lock, leave at once: that process looks
    again after letting go, so a change committed while it held the lock (whose own warm-up
    found the lock taken and left) is warmed all the same."""
    warmed = None
    while True:
        with _step_lock(lock) as held:
            if not held:
                return warmed
            while (done := _warm(plan, after=warmed)) is not None:
                warmed = done
        if not _work_left(plan, after=warmed):
            return warmed


def figures_warm() -> int | None:
    """Compute and store the warmed figures, then the default XLSX export, for the committed
    figures version; return the version warmed last, or None when there was nothing to do
    (both already warmed at this version, another process warming them, a database without
    the figures version, or called inside a transaction).

    The dashboard's step first: its figures are stored before the workbook (seconds at 10,000
    partnerships, bench/README.md) is written, so the dashboard's readers do not wait for it.
    If a change commits in between, the export is warmed at the newer version. Each step is
    taken by one worker process at a time, which catches up with the latest committed version
    (`_warm_latest`): in a burst of changes, the warm-ups sent for versions already overtaken
    cost a lock attempt each."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    figures = _warm_latest(DASHBOARD_LOCK, _dashboard_plan)
    export = _warm_latest(EXPORT_LOCK, _export_plan)
    return export if export is not None else figures


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
