"""Emails that follow accreditation events. Each is recorded in the email outbox
(core/outbox.py, docs/adr/0016-email-outbox.md) in the transaction of the event that causes it,
and sent by a worker once that transaction has committed:

- submitted: the region's Government Office reviewers, so the queue is worked;
- a decision (accredit, defer, return): the partnership's officers and chairs, with the letter
  (its PDF made when the email is sent);
- a response to a deferral ready for sign-off: the partnership's chairs;
- a response to a deferral signed off: the region's reviewers;
- a deferred partnership's review date: its region's reviewers, 7 days before and on the day,
  saying whether its response has arrived. A reminder is due on or after its date and
  recorded once (by its key), so a day the scheduler missed still reminds, once.

One function records each kind of email (`..._email_record`); its key says which event and
which email it is, so recording it again records nothing.

The console backend is the default; SMTP (or the compose mail catcher) through EMAIL_* settings.
"""

from datetime import date, timedelta

from core import clock
from core.models import OutboxEmail
from core.outbox import email_record
from core.outbox import emails_suppressed as notifications_suppressed
from core.registry import Attachment
from partnerships.models import Role, RoleAssignment

from .models import AWAITING_REVIEW, AccreditationEvent, Decision, DeferralResponse, SelfAssessment, Status

__all__ = ["notifications_suppressed"]  # the demo's backdated history (reference/demo.py)

REMINDER_DAYS = (7, 0)
# The attachment kind the decision email names; the renderer is registered in accreditation/apps.py.
DECISION_LETTER = "accreditation.decision_letter"


def _emails(assignments) -> list[str]:
    return sorted({a.user.email for a in assignments.select_related("user") if a.user.is_active})


def partnership_chairs(partnership) -> list[str]:
    return _emails(RoleAssignment.objects.filter(partnership=partnership, role=Role.LSP_CHAIR))


def partnership_contacts(partnership) -> list[str]:
    """The partnership's officers and chairs."""
    return _emails(RoleAssignment.objects.filter(
        partnership=partnership, role__in=[Role.LSP_OFFICER, Role.LSP_CHAIR]
    ))


def region_reviewers(region) -> list[str]:
    return _emails(RoleAssignment.objects.filter(region=region, role=Role.GO_REVIEWER))


def _title(assessment: SelfAssessment) -> str:
    return f"{assessment.partnership.name} {assessment.cycle.name}"


def event_emails_record(*, event: AccreditationEvent) -> list[OutboxEmail]:
    """Record the emails one event calls for, in the event's transaction."""
    if event.decision_id:
        recorded = decision_email_record(event=event, decision=event.decision)
    elif event.to_status == Status.SUBMITTED:
        recorded = submitted_email_record(event=event)
    elif event.to_status == Status.RESPONSE_RECEIVED:
        recorded = response_received_email_record(event=event)
    else:
        recorded = None
    return [recorded] if recorded else []


def submitted_email_record(*, event: AccreditationEvent) -> OutboxEmail | None:
    assessment = event.assessment
    to = region_reviewers(assessment.partnership.region)
    if not to:
        return None
    return email_record(
        key=f"event:{event.pk}:submitted", kind="Self-assessment submitted", to=to,
        subject=f"Self-assessment submitted: {_title(assessment)}",
        body=(
            f"{assessment.partnership.name} has submitted its {assessment.cycle.name} "
            "self-assessment, signed off by its chair.\n\nIt is waiting in your region's review "
            "queue."
        ),
    )


def _when(day: date) -> str:
    return f"{day:%-d %B %Y}"


def response_received_email_record(*, event: AccreditationEvent) -> OutboxEmail | None:
    """The region's reviewers: the partnership's response to its deferral has arrived."""
    assessment = event.assessment
    to = region_reviewers(assessment.partnership.region)
    if not to:
        return None
    review = (f" Its review is due on {_when(assessment.review_date)}."
              if assessment.review_date else "")
    return email_record(
        key=f"event:{event.pk}:response-received", kind="Response received", to=to,
        subject=f"Response received: {_title(assessment)}",
        body=(
            f"{assessment.partnership.name} has responded to the areas of concern of its deferred "
            f"{assessment.cycle.name} accreditation, signed off by its chair, for review round "
            f"{assessment.review_round + 1}.{review}\n\nThe response is on the partnership's "
            "review page, beside each area of concern."
        ),
    )


def sign_off_request_email_record(*, response: DeferralResponse) -> OutboxEmail | None:
    """The partnership's chairs: an officer asks them to sign off the response to a deferral.
    One email per request (a later change withdraws a request; asking again is a new one)."""
    assessment = response.assessment
    to = partnership_chairs(assessment.partnership)
    if not to or response.sign_off_requested_at is None:
        return None
    review = (f" before the review on {_when(assessment.review_date)}"
              if assessment.review_date else "")
    return email_record(
        key=f"response:{response.pk}:sign-off:{response.sign_off_requested_at:%Y%m%dT%H%M%S%f}",
        kind="Sign-off requested", to=to,
        subject=f"Sign off the response to the deferral: {_title(assessment)}",
        body=(
            f"{response.sign_off_requested_by} has written {assessment.partnership.name}'s "
            f"response to the areas of concern of its deferred {assessment.cycle.name} "
            f"accreditation and asks you, as chair, to sign it off{review}.\n\nSign in to the "
            "LSP Portal, read the response and sign it off to send it to the Government Office."
        ),
    )


def decision_email_record(*, event: AccreditationEvent, decision: Decision) -> OutboxEmail | None:
    assessment = decision.assessment
    to = partnership_contacts(assessment.partnership)
    if not to:
        return None
    return email_record(
        key=f"event:{event.pk}:decision", kind="Accreditation decision", to=to,
        subject=f"Accreditation decision: {_title(assessment)}: {decision.get_outcome_display()}",
        body=decision.letter or (f"{decision.get_outcome_display()}, decided on "
                                 f"{decision.decided_on:%-d %B %Y}."),
        attachment=f"{DECISION_LETTER}:{decision.pk}" if decision.letter else "",
    )


def decision_letter_attachment(ref: str) -> Attachment:
    """The decision letter's PDF, made from the letter as it is when the email is sent."""
    from .letters import letter_pdf, letter_pdf_filename

    decision = Decision.objects.select_related(
        "assessment__partnership__local_authority", "assessment__cycle").get(pk=int(ref))
    return Attachment(letter_pdf_filename(decision), letter_pdf(decision), "application/pdf")


def reminder_key(assessment: SelfAssessment, days: int) -> str:
    return f"reminder:{assessment.pk}:{assessment.review_round}:{days}"


def review_reminders_send(*, today: date | None = None) -> int:
    """Remind each region's reviewers of deferred partnerships due for review: the 7-day
    reminder from 7 days before the review date until the day before it, the review-date
    reminder from that date on, each once per review round. Run by Celery beat every hour;
    returns how many reminders were recorded (the outbox sends them)."""
    today = today or clock.today()
    due = list(
        SelfAssessment.objects.filter(
            status__in=AWAITING_REVIEW, review_date__isnull=False,
            review_date__lte=today + timedelta(days=max(REMINDER_DAYS)),
        ).select_related("partnership__local_authority__region", "cycle").order_by("review_date", "pk")
    )
    keys = {a.pk: reminder_key(a, 7 if a.review_date > today else 0) for a in due}
    already = set(OutboxEmail.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    recorded = 0
    for assessment in due:
        if keys[assessment.pk] in already:
            continue
        recorded += _reminder_record(assessment, today, keys[assessment.pk]) is not None
    return recorded


def _reminder_record(assessment: SelfAssessment, today: date, key: str) -> OutboxEmail | None:
    # Nobody to remind yet: nothing recorded, so the next run tries again.
    to = region_reviewers(assessment.partnership.region)
    if not to:
        return None
    on = f"{assessment.review_date:%-d %B %Y}"
    days = (assessment.review_date - today).days
    if days > 0:
        when = f"is due for review on {on}, in {days} day{'s' if days != 1 else ''}"
    elif days == 0:
        when = "is due for review today"
    else:
        when = f"was due for review on {on}"
    response = ("Its response to the areas of concern has arrived, signed off by its chair."
                if assessment.status == Status.RESPONSE_RECEIVED
                else "No response to the areas of concern has arrived yet; you can review it "
                     "without one.")
    return email_record(
        key=key, kind="Review reminder", to=to,
        subject=f"Review due: {_title(assessment)}",
        body=(
            f"{assessment.partnership.name}'s deferred {assessment.cycle.name} accreditation "
            f"{when}. {response}\n\nYou can start the review from your region's queue on or "
            "after the review date."
        ),
    )
