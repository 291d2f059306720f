"""Emails that follow accreditation events, sent by Celery once the event is committed.

- submitted: the region's Government Office reviewers, so the queue is worked;
- a decision (accredit, defer, return): the partnership's officers and chairs, with the letter;
- a deferred partnership's review date: its region's reviewers, 7 days before and on the day.

The console backend is the default; SMTP (or the compose mail catcher) through EMAIL_* settings.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMessage

from core import clock
from partnerships.models import Role, RoleAssignment

from .models import AccreditationEvent, Decision, SelfAssessment, Status

logger = logging.getLogger(__name__)

REMINDER_DAYS = (7, 0)

# Set while recorded history is loaded (the demo's February 2002 scenario): those backdated
# events email nobody. Read when the commit hands the event over, in the loader's own thread.
_suppressed: ContextVar[bool] = ContextVar("accreditation_notifications_suppressed", default=False)


@contextmanager
def notifications_suppressed() -> Iterator[None]:
    """Events committed inside this block send no email (nothing is handed to Celery)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def event_notify_enqueue(*, event_id: int) -> bool:
    """Hand the event's emails to Celery. Called on commit: a broker outage, or a failure while
    sending in eager mode, is logged and never undoes or breaks the committed transition."""
    if _suppressed.get():
        return False
    from .tasks import event_notify as event_notify_task

    try:
        event_notify_task.apply_async(args=[event_id], retry=False)
    except Exception:  # the broker, or in eager mode the sending itself
        logger.warning("notification for event %s not sent", event_id, exc_info=True)
        return False
    return True


def _emails(assignments) -> list[str]:
    return sorted({a.user.email for a in assignments.select_related("user") if a.user.is_active})


def partnership_contacts(partnership) -> list[str]:
    """The partnership's officers and chairs."""
    return _emails(RoleAssignment.objects.filter(
        partnership=partnership, role__in=[Role.LSP_OFFICER, Role.LSP_CHAIR]
    ))


def region_reviewers(region) -> list[str]:
    return _emails(RoleAssignment.objects.filter(region=region, role=Role.GO_REVIEWER))


def _title(assessment: SelfAssessment) -> str:
    return f"{assessment.partnership.name} {assessment.cycle.name}"


def event_notify(*, event_id: int) -> int:
    """Send the emails one event calls for; returns how many messages went out."""
    event = (
        AccreditationEvent.objects.select_related(
            "assessment__partnership__local_authority__region", "assessment__cycle", "decision",
        ).filter(pk=event_id).first()
    )
    if event is None:
        return 0
    if event.decision_id:
        return _decision_send(event.decision)
    if event.to_status == Status.SUBMITTED:
        return _submitted_send(event.assessment)
    return 0


def _submitted_send(assessment: SelfAssessment) -> int:
    to = region_reviewers(assessment.partnership.region)
    if not to:
        return 0
    body = (
        f"{assessment.partnership.name} has submitted its {assessment.cycle.name} self-assessment, "
        f"signed off by its chair.\n\nIt is waiting in your region's review queue."
    )
    return EmailMessage(
        subject=f"Self-assessment submitted: {_title(assessment)}", body=body,
        from_email=settings.DEFAULT_FROM_EMAIL, to=to,
    ).send()


def _decision_send(decision: Decision) -> int:
    from .letters import letter_pdf, letter_pdf_filename

    assessment = decision.assessment
    to = partnership_contacts(assessment.partnership)
    if not to:
        return 0
    message = EmailMessage(
        subject=f"Accreditation decision: {_title(assessment)}: {decision.get_outcome_display()}",
        # The letter carries the date of the decision; without one, say it.
        body=decision.letter or (f"{decision.get_outcome_display()}, decided on "
                                 f"{decision.decided_on:%-d %B %Y}."),
        from_email=settings.DEFAULT_FROM_EMAIL, to=to,
    )
    if decision.letter:
        message.attach(letter_pdf_filename(decision), letter_pdf(decision), "application/pdf")
    return message.send()


def review_reminders_send(*, today: date | None = None) -> int:
    """Remind each region's reviewers of deferred partnerships due for review in 7 days or today.
    Run once a day by Celery beat; returns how many messages went out."""
    today = today or clock.today()
    due = SelfAssessment.objects.filter(
        status=Status.DEFERRED,
        review_date__in=[today + timedelta(days=d) for d in REMINDER_DAYS],
    ).select_related("partnership__local_authority__region", "cycle")
    sent = 0
    for assessment in due:
        to = region_reviewers(assessment.partnership.region)
        if not to:
            continue
        days = (assessment.review_date - today).days
        when = "today" if days == 0 else f"on {assessment.review_date:%-d %B %Y}, in {days} days"
        sent += EmailMessage(
            subject=f"Review due: {_title(assessment)}",
            body=(
                f"{assessment.partnership.name}'s deferred {assessment.cycle.name} accreditation is "
                f"due for review {when}.\n\nYou can start the review from your region's queue "
                "on or after the review date."
            ),
            from_email=settings.DEFAULT_FROM_EMAIL, to=to,
        ).send()
    return sent
