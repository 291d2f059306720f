"""Celery tasks of the accreditation app: ids in, the work done by a plain function. The emails
themselves are sent by the outbox's tasks (core/tasks.py)."""

from celery import shared_task


@shared_task(name="accreditation.event_notify", acks_late=True, ignore_result=True)
def event_notify(event_id: int) -> int:
    """For messages queued before the email outbox: record the event's emails there (once, by
    their keys); the outbox sends them."""
    from django.db import transaction

    from .models import AccreditationEvent
    from .notifications import event_emails_record

    event = AccreditationEvent.objects.select_related("assessment", "decision").filter(
        pk=event_id).first()
    if event is None:
        return 0
    with transaction.atomic():
        return len(event_emails_record(event=event))


@shared_task(name="accreditation.review_reminders_send", acks_late=True, ignore_result=True,
             expires=50 * 60)
def review_reminders_send() -> int:
    from .notifications import review_reminders_send as send

    return send()
