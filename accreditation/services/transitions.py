"""The machinery every write to an assessment shares: lock the row, check the page was not
stale, apply a state-machine transition and record it (docs/adr/0002-state-machine-with-django-fsm-2.md,
docs/adr/0008-concurrency-versions-and-conflicts.md)."""

from collections.abc import Callable

from django.utils import timezone
from django_fsm import can_proceed

from core import clock
from core.errors import ApplicationError

from .. import signals
from ..models import AccreditationEvent, Decision, SelfAssessment, Status
from ..notifications import event_emails_record


class ConflictError(ApplicationError):
    """The assessment is no longer what the person saw: someone else acted first, or the page
    was stale. Nothing was applied."""


# How a decided state reads in "Walsall was already deferred by ... at 10:42".
_ALREADY = {
    Status.ACCREDITED: "accredited",
    Status.DEFERRED: "deferred",
}


def time_phrase(at) -> str:
    """'at 10:42' today, 'at 10:42 on 3 February 2002' on any other day."""
    local = timezone.localtime(at)
    if local.date() == clock.today():
        return f"at {local:%H:%M}"
    return f"at {local:%H:%M} on {local:%-d %B %Y}"


def conflict_error(locked: SelfAssessment) -> ConflictError:
    """Say plainly what happened to the assessment, for someone whose action was not applied."""
    name = locked.partnership.local_authority.name
    last = locked.events.order_by("-at", "-id").first()
    if last and last.to_status == locked.status:
        if locked.status in _ALREADY:
            return ConflictError(
                f"{name} was already {_ALREADY[locked.status]} by {last.actor_label} "
                f"{time_phrase(last.at)}; nothing you entered was applied."
            )
        if locked.status == Status.RESPONSE_RECEIVED:
            return ConflictError(
                f"{name}'s response to the deferral was signed off by {last.actor_label} "
                f"{time_phrase(last.at)}; nothing you entered was applied."
            )
        if last.from_status == Status.UNDER_REVIEW and locked.status == Status.DRAFT:
            return ConflictError(
                f"{name} was already returned for changes by {last.actor_label} "
                f"{time_phrase(last.at)}; nothing you entered was applied."
            )
    status = locked.get_status_display().lower()
    return ConflictError(
        f"{name}'s assessment changed after you opened the page (it is now {status}). Nothing "
        "you entered was applied: check the current page and try again."
    )


def assessment_lock(assessment: SelfAssessment, expected_version: int | None) -> SelfAssessment:
    """The assessment, locked for the rest of the transaction; ConflictError if it is no longer
    the version the page was made from. The partnership, its authority and region and the cycle
    come in the same query (letters and messages name them); only the assessment's row is locked."""
    locked = (SelfAssessment.objects.select_related("partnership__local_authority__region", "cycle")
              .select_for_update(of=("self",)).get(pk=assessment.pk))
    if expected_version is not None and locked.version != expected_version:
        raise conflict_error(locked)
    return locked


def assessment_transition(
    *,
    assessment: SelfAssessment,
    by,
    transition: Callable[[SelfAssessment], Callable],
    refusal: str,
    expected_version: int | None,
    reason: str = "",
    decision_factory: Callable[[SelfAssessment], Decision | None] | None = None,
    at=None,
    before_change: Callable[[SelfAssessment], None] | None = None,
) -> tuple[SelfAssessment, AccreditationEvent]:
    """Lock, check the transition is legal, apply it, record the AccreditationEvent (and the
    Decision, if any) and announce it. Call inside a transaction. `at` is when it is recorded
    (default: the clock's now)."""
    locked = assessment_lock(assessment, expected_version)
    method = transition(locked)
    if not can_proceed(method):
        if locked.status in _ALREADY:
            raise conflict_error(locked)
        raise ApplicationError(
            f"{refusal} It is {locked.get_status_display().lower()}: nothing was changed."
        )
    if before_change:
        before_change(locked)
    from_status = locked.status
    method()
    locked.version += 1
    locked.save()
    decision = decision_factory(locked) if decision_factory else None
    at = at or clock.now()
    event = AccreditationEvent.objects.create(
        assessment=locked,
        from_status=from_status,
        to_status=locked.status,
        by=by,
        actor_label=str(by) if by else "system",
        at=at,
        # A decision takes effect on its own date (Decision.decided_on, which funding reads);
        # anything else on the day it is recorded.
        effective_on=decision.decided_on if decision else timezone.localdate(at),
        reason=reason,
        decision=decision,
    )
    # Funding records the recompute it owes, in this transaction (funding.apps).
    signals.transition_recorded.send(sender=SelfAssessment, assessment=locked, event=event)
    # Emails (submitted -> reviewers, decision -> officers and chairs): recorded in the outbox in
    # this transaction, sent by a worker once it commits.
    event_emails_record(event=event)
    return locked, event

