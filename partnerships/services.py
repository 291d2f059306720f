import logging

from django.db import transaction
from django.utils import timezone

from .models import Partnership, RecomputeRequest, Role, RoleAssignment

logger = logging.getLogger(__name__)

RECOMPUTE_TASK = "funding.releases_recompute"


def recompute_enqueue(*, request_id: int) -> bool:
    """Hand an owed recompute to Celery. A broker outage is logged, not raised: the outbox row
    stays owed and the beat job sends it again."""
    from lsp_portal.celery import app

    try:
        app.tasks[RECOMPUTE_TASK].apply_async(args=[request_id], retry=False)
    except Exception:  # the broker, or in eager mode the task itself; the row stays owed
        logger.warning("recompute %s not enqueued; it stays owed", request_id, exc_info=True)
        return False
    RecomputeRequest.objects.filter(pk=request_id).update(last_enqueued_at=timezone.now())
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


def role_assign(*, user, role: str, partnership=None, region=None) -> RoleAssignment:
    assignment, _ = RoleAssignment.objects.get_or_create(
        user=user, role=role, partnership=partnership, region=region
    )
    return assignment


__all__ = ["Role", "recompute_enqueue", "recompute_request", "role_assign"]
