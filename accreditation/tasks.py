"""Celery tasks of the accreditation app: ids in, the work done by a plain function."""

from smtplib import SMTPException

from celery import shared_task


@shared_task(
    name="accreditation.event_notify", acks_late=True, autoretry_for=(SMTPException, OSError),
    retry_backoff=True, retry_backoff_max=600, max_retries=5,
)
def event_notify(event_id: int) -> int:
    from .notifications import event_notify as send

    return send(event_id=event_id)


@shared_task(
    name="accreditation.sign_off_request_notify", acks_late=True,
    autoretry_for=(SMTPException, OSError), retry_backoff=True, retry_backoff_max=600,
    max_retries=5,
)
def sign_off_request_notify(response_id: int) -> int:
    from .notifications import sign_off_request_send as send

    return send(response_id=response_id)


@shared_task(name="accreditation.review_reminders_send", acks_late=True)
def review_reminders_send() -> int:
    from .notifications import review_reminders_send as send

    return send()
