"""The funding outbox: every cause that may move money (an accreditation transition, a policy
change, an allocation change) records a `RecomputeRequest` in its own transaction, and the worker
settles it after commit (ADR 0003). A broker outage never loses one: the row stays owed and
`recomputes_requeue_owed` sends it again."""

import logging
from datetime import timedelta

from celery import current_app
from django.db import transaction
from django.db.models import Max, Q

from core import clock
from partnerships.models import Partnership

from .models import RecomputeRequest

logger = logging.getLogger(__name__)

RECOMPUTE_TASK = "funding.releases_recompute"


def recompute_enqueue(*, request_id: int) -> bool:
    """Hand an owed recompute to Celery. A broker outage is logged, not raised: the outbox row
    stays owed and the beat job sends it again."""
    try:
        # Looked up in the registry (funding/tasks.py registers it at start-up) rather than
        # imported: the tasks call this module, and modules of an app import one way only.
        current_app.tasks[RECOMPUTE_TASK].apply_async(args=[request_id], retry=False)
    except Exception:  # the broker, or in eager mode the task itself; the row stays owed
        logger.warning("recompute %s not enqueued; it stays owed", request_id, exc_info=True)
        return False
    RecomputeRequest.objects.filter(pk=request_id).update(last_enqueued_at=clock.now())
    return True


def recompute_request(
    *, partnership: Partnership, cause: str, cause_id: int | None = None
) -> RecomputeRequest:
    """Record, in the caller's transaction, that this partnership's releases must be recomputed;
    enqueue the work once that transaction commits."""
    request = RecomputeRequest.objects.create(
        partnership=partnership, cause=cause, cause_id=cause_id
    )
    transaction.on_commit(lambda: recompute_enqueue(request_id=request.pk))
    return request


def recomputes_requeue_owed(*, older_than: timedelta = timedelta(minutes=1),
                            limit: int = 1000) -> int:
    """Send again every partnership's owed recompute that is older than `older_than` and was
    not sent in that time. One message per partnership (its newest owed request) is enough:
    the recompute settles all of them. Stops at the first broker error; the rows stay owed."""
    cutoff = clock.now() - older_than
    newest = (
        RecomputeRequest.objects.filter(completed_at__isnull=True, requested_at__lte=cutoff)
        .filter(Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lte=cutoff))
        .order_by()
        .values("partnership_id")
        .annotate(newest=Max("id"))
        .order_by("newest")
        .values_list("newest", flat=True)[:limit]
    )
    sent = 0
    for request_id in list(newest):
        if not recompute_enqueue(request_id=request_id):
            logger.warning("requeue stopped after %s: the broker refused a message", sent)
            break
        sent += 1
    return sent
