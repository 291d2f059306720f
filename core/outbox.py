"""The email outbox: every email is recorded in the transaction of the event that causes it, and
sent by a worker once that transaction has committed (docs/adr/0016-email-outbox.md).

- `email_record` (in the caller's transaction): an `OutboxEmail` row, owed, keyed by what
  caused it, so the same email is never recorded twice; when the transaction commits, its id
  is handed to Celery (`email_enqueue`). A rollback leaves no row and sends nothing; a broker
  that is down at commit leaves the row owed for the sweep.
- `email_send` (in a worker): claim the row with one conditional UPDATE (owed -> sending,
  attempts + 1), so of two workers given the same id only one sends; send it through Django's
  mail backend; mark it sent. A failure is written on the row and retried later with a longer
  wait each time, until `EMAIL_OUTBOX_MAX_ATTEMPTS`, when it is marked failed and listed for NRU
  administrators.
- `emails_sweep` (Celery beat, every minute): hand to the worker again what is owed past its
  due time, and what has been "sending" for longer than the lease (its worker died).

The one window left: the mail server has accepted a message and the worker dies (or loses the
database) before the row is marked sent. The row stays "sending"; after the lease the sweep
sends it again. So delivery is at least once, and a duplicate carries the same Message-ID
(made from the key), by which mail programs recognise a message they already have.

Two clocks. `created_at` and `sent_at` are what people read, so they are on the service's clock
(core/clock.py: a training deployment runs on a stored date). The machinery's times (`due_at`,
`sending_since`, `last_enqueued_at`) are on the database's clock (`Now()`): leases and back-off
must pass in real seconds whatever date the service says it is, and every process (web,
worker, beat) reads the same clock.
"""

import hashlib
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Now

from . import clock
from .errors import ApplicationError
from .models import OutboxEmail
from .registry import email_attachment_render

logger = logging.getLogger(__name__)
Status = OutboxEmail.Status

# Set while recorded history is loaded (the demo's February 2002 scenario): emails of events
# recorded inside the block are not recorded at all, so no worker or sweep can ever send them.
_suppressed: ContextVar[bool] = ContextVar("core_emails_suppressed", default=False)


@contextmanager
def emails_suppressed() -> Iterator[None]:
    """Inside this block `email_record` records nothing: the events are history, not news."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def _seconds(name: str, default: int) -> timedelta:
    return timedelta(seconds=getattr(settings, name, default))


def max_attempts() -> int:
    return getattr(settings, "EMAIL_OUTBOX_MAX_ATTEMPTS", 5)


def _grace() -> timedelta:
    """How long a new row is left to the hand-off at commit before the sweep sends it."""
    return _seconds("EMAIL_OUTBOX_GRACE_SECONDS", 60)


def _lease() -> timedelta:
    """How long an attempt may be "sending" before it is presumed dead. Longer than the send
    task's hard time limit, so that the attempt is certainly over by then."""
    return _seconds("EMAIL_OUTBOX_LEASE_SECONDS", 300)


def _backoff(attempt: int) -> timedelta:
    """The wait after a failed attempt: 1, 4, 16, 64 minutes (with the default base)."""
    return _seconds("EMAIL_OUTBOX_RETRY_SECONDS", 60) * 4 ** (attempt - 1)


def message_id(key: str) -> str:
    """The same Message-ID every time the email with this key is sent."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(">") or "lsp-portal.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}.outbox@{domain}>"


# --- recording --------------------------------------------------------------------------------


def email_record(*, key: str, kind: str, to: Iterable[str], subject: str, body: str,
                 attachment: str = "") -> OutboxEmail | None:
    """Record, in the caller's transaction, an email that is owed, and hand it to the worker
    once that transaction commits. Returns the new row, or None when nothing was recorded:
    the key was recorded before, or emails are suppressed.

    `to` must name someone (the caller decides what to do when nobody is there to tell);
    `attachment` is "<kind>:<ref>" for a renderer registered in core/registry.py."""
    recipients = sorted(set(to))
    if not recipients:
        raise ValueError(f"email {key!r} has nobody to go to")
    if _suppressed.get():
        return None
    email, created = OutboxEmail.objects.get_or_create(key=key, defaults={
        "kind": kind, "to": recipients, "subject": subject, "body": body,
        "attachment": attachment, "due_at": Now() + _grace(),
    })
    if not created:
        return None
    email.refresh_from_db(fields=["due_at"])  # as the database wrote it, not the expression
    transaction.on_commit(lambda: email_enqueue(email_id=email.pk))
    return email


def email_enqueue(*, email_id: int) -> bool:
    """Hand an owed email to Celery. A broker outage (or, in eager mode, anything the sending
    raises) is logged, never raised: the row stays owed and the sweep sends it."""
    try:
        # From the registry (core/tasks.py registers it at start-up): the task calls this
        # module, and the modules of an app import one way only.
        current_app.tasks["core.email_send"].apply_async(args=[email_id], retry=False)
    except Exception:
        logger.warning("email %s not handed to the worker; it stays owed", email_id, exc_info=True)
        return False
    OutboxEmail.objects.filter(pk=email_id).update(last_enqueued_at=Now())
    return True


# --- sending ----------------------------------------------------------------------------------


def email_claim(*, email_id: int) -> int | None:
    """Take the email for one attempt: owed (and due, unless never tried) or "sending" past its
    lease -> "sending", attempts + 1, in one conditional UPDATE. Returns the attempt's number,
    or None when there is nothing to send (sent, failed, or another worker has it)."""
    claimable = (
        Q(status=Status.OWED) & (Q(attempts=0) | Q(due_at__lte=Now()))
        | Q(status=Status.SENDING, sending_since__lte=Now() - _lease())
    )
    claimed = (
        OutboxEmail.objects.filter(claimable, pk=email_id, attempts__lt=max_attempts())
        .update(status=Status.SENDING, attempts=F("attempts") + 1, sending_since=Now())
    )
    if not claimed:
        return None
    return OutboxEmail.objects.values_list("attempts", flat=True).get(pk=email_id)


def email_message(email: OutboxEmail) -> EmailMessage:
    """The message as it goes out, its attachment made now."""
    message = EmailMessage(
        subject=email.subject, body=email.body, from_email=settings.DEFAULT_FROM_EMAIL,
        to=email.to, headers={"Message-ID": message_id(email.key)},
    )
    if email.attachment:
        made = email_attachment_render(email.attachment)
        message.attach(made.filename, made.content, made.mimetype)
    return message


def email_send(*, email_id: int) -> bool:
    """Send one owed email and mark it sent; True when this call sent it. A failure is recorded
    on the row (owed again after a wait, or failed after the last attempt), not raised."""
    attempt = email_claim(email_id=email_id)
    if attempt is None:
        return False
    email = OutboxEmail.objects.get(pk=email_id)
    try:
        _deliver(email_message(email))
    except Exception as exc:  # the mail server, the network, the attachment, the time limit
        _attempt_failed(email_id=email_id, attempt=attempt, error=exc)
        return False
    # The window: accepted by the mail server, not yet marked. A database that blinks here is
    # given a few seconds before the mark is given up (and the sweep, after the lease, resends).
    for wait in (1, 2, 0):
        try:
            marked = OutboxEmail.objects.filter(
                pk=email_id, status=Status.SENDING, attempts=attempt
            ).update(status=Status.SENT, sent_at=clock.now(), last_error="")
            break
        except (OperationalError, InterfaceError):
            if not wait:
                raise
            connection.close()
            time.sleep(wait)
    if not marked:
        logger.warning("email %s sent, but attempt %s had been taken over", email_id, attempt)
    return True


def _deliver(message: EmailMessage) -> None:
    """Hand the message to the mail server. Once the server has accepted it, nothing that goes
    wrong afterwards (saying goodbye to the server) counts as a failure to send it."""
    connection = get_connection()
    connection.open()
    try:
        connection.send_messages([message])
    finally:
        try:
            connection.close()
        except Exception:  # the message is already accepted (or already failed)
            logger.warning("closing the mail connection failed", exc_info=True)


def _attempt_failed(*, email_id: int, attempt: int, error: Exception) -> None:
    last = attempt >= max_attempts()
    changes = {"last_error": f"Attempt {attempt}: {type(error).__name__}: {error}"[:2000]}
    if last:
        changes["status"] = Status.FAILED
    else:
        changes.update(status=Status.OWED, due_at=Now() + _backoff(attempt))
    OutboxEmail.objects.filter(pk=email_id, status=Status.SENDING, attempts=attempt).update(**changes)
    # No addresses or message text in the log; the row has the error for NRU administrators.
    logger.warning("email %s attempt %s failed (%s)%s", email_id, attempt, type(error).__name__,
                   "; no attempts left: failed" if last else "")


LOST_WHILE_SENDING = ("The worker stopped while sending it on its last attempt: it may or may "
                      "not have been delivered.")


def emails_sweep(*, limit: int = 500) -> int:
    """What beat runs every minute: hand to the worker every email owed past its due time and
    every one "sending" past its lease; mark failed those stuck on their last attempt. Stops at
    the first broker error (the rows stay owed). Returns how many were handed over."""
    lease_over = Q(status=Status.SENDING, sending_since__lte=Now() - _lease())
    OutboxEmail.objects.filter(lease_over, attempts__gte=max_attempts()).update(
        status=Status.FAILED, last_error=LOST_WHILE_SENDING)
    due = (
        OutboxEmail.objects.filter(Q(status=Status.OWED, due_at__lte=Now()) | lease_over)
        .filter(Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lte=Now() - _grace()))
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for email_id in list(due):
        if not email_enqueue(email_id=email_id):
            logger.warning("email sweep stopped after %s: the broker refused a message", sent)
            break
        sent += 1
    return sent


# --- for NRU administrators -------------------------------------------------------------------


def emails_waiting() -> QuerySet[OutboxEmail]:
    """Emails not sent yet and not given up: owed, or being sent."""
    return OutboxEmail.objects.filter(status__in=[Status.OWED, Status.SENDING])


def emails_failed() -> QuerySet[OutboxEmail]:
    """Emails given up after their last attempt, newest first. Not scoped: the caller decides
    who may read them (reporting: NRU administrators)."""
    return OutboxEmail.objects.filter(status=Status.FAILED).order_by("-created_at", "-id")


@transaction.atomic
def email_retry(*, email_id: int) -> OutboxEmail:
    """Send a failed email again, with its attempts from zero (after the mail server is mended)."""
    email = OutboxEmail.objects.select_for_update().filter(pk=email_id).first()
    if email is None or email.status != Status.FAILED:
        raise ApplicationError("That email is no longer waiting to be sent again: it was sent, "
                               "or someone has already asked for it to be sent again.")
    OutboxEmail.objects.filter(pk=email_id).update(
        status=Status.OWED, attempts=0, sending_since=None, due_at=Now() + _grace())
    transaction.on_commit(lambda: email_enqueue(email_id=email_id))
    email.refresh_from_db()
    return email
