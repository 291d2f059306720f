"""The email outbox (core/outbox.py): recorded with the transaction that causes it, claimed by one
sender, retried after a wait until its attempts run out, swept when owed, listed when failed."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models.functions import Now
from django.utils import timezone

from core.errors import ApplicationError
from core.models import OutboxEmail
from core.outbox import (
    LOST_WHILE_SENDING,
    email_record,
    email_retry,
    email_send,
    emails_failed,
    emails_suppressed,
    emails_sweep,
    message_id,
)
from core.registry import EMAIL_ATTACHMENTS, Attachment, email_attachment_register
from tests.funding.celery_control import broker_down

pytestmark = pytest.mark.django_db

Status = OutboxEmail.Status


def record(key="event:1:decision", **kwargs) -> OutboxEmail | None:
    fields = {"kind": "Test", "to": ["chair@walsall.test"], "subject": "Hello",
              "body": "Dear Chair", **kwargs}
    return email_record(key=key, **fields)


def fresh(email: OutboxEmail) -> OutboxEmail:
    return OutboxEmail.objects.get(pk=email.pk)


def age(email: OutboxEmail, **fields) -> None:
    """Move the row's machinery times into the past (they are on the database's clock)."""
    OutboxEmail.objects.filter(pk=email.pk).update(
        **{name: Now() - timedelta(seconds=seconds) for name, seconds in fields.items()})


@pytest.fixture
def outbox_settings(settings):
    settings.EMAIL_OUTBOX_MAX_ATTEMPTS = 3
    settings.EMAIL_OUTBOX_RETRY_SECONDS = 60
    settings.EMAIL_OUTBOX_GRACE_SECONDS = 60
    settings.EMAIL_OUTBOX_LEASE_SECONDS = 300
    return settings


@pytest.fixture
def mail_server_down(settings):
    settings.EMAIL_BACKEND = "tests.mail_backends.FailingBackend"


def test_an_email_is_recorded_owed_and_sent_once_the_transaction_commits(
        django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        email = record(to=["officer@walsall.test", "chair@walsall.test", "chair@walsall.test"])
        assert fresh(email).status == Status.OWED
        assert mailoutbox == []
    assert len(callbacks) == 1
    email = fresh(email)
    assert (email.status, email.attempts, email.last_error) == (Status.SENT, 1, "")
    assert email.sent_at and email.last_enqueued_at and email.due_at > email.created_at
    (message,) = mailoutbox
    assert message.to == ["chair@walsall.test", "officer@walsall.test"]
    assert (message.subject, message.body) == ("Hello", "Dear Chair")
    assert message.extra_headers["Message-ID"] == message_id("event:1:decision")


def test_a_rolled_back_transaction_leaves_no_email_and_sends_nothing(
        django_capture_on_commit_callbacks, mailoutbox):
    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          pytest.raises(RuntimeError), transaction.atomic()):
        record()
        assert OutboxEmail.objects.count() == 1
        raise RuntimeError("the event failed after the email was recorded")
    assert not OutboxEmail.objects.exists()
    assert callbacks == [] and mailoutbox == []


def test_the_same_key_is_recorded_once(django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        first = record()
        assert record(subject="Again") is None
    assert OutboxEmail.objects.get().pk == first.pk
    assert first.due_at > first.created_at  # the row as written, not the expression
    assert [m.subject for m in mailoutbox] == ["Hello"]


def test_an_email_to_nobody_is_refused():
    with pytest.raises(ValueError, match="nobody"):
        record(to=[])
    assert not OutboxEmail.objects.exists()


def test_suppressed_emails_are_not_recorded(django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True), emails_suppressed():
        assert record() is None
    assert not OutboxEmail.objects.exists() and mailoutbox == []
    assert record() is not None  # outside the block, recorded again


def test_a_second_delivery_of_the_task_sends_nothing(mailoutbox):
    email = record()
    assert email_send(email_id=email.pk) is True
    assert email_send(email_id=email.pk) is False
    assert len(mailoutbox) == 1 and fresh(email).attempts == 1


def test_an_email_being_sent_is_not_sent_by_another_worker(mailoutbox):
    email = record()
    OutboxEmail.objects.filter(pk=email.pk).update(status=Status.SENDING, attempts=1,
                                                   sending_since=Now())
    assert email_send(email_id=email.pk) is False
    assert mailoutbox == [] and fresh(email).attempts == 1


def test_a_message_accepted_is_sent_even_if_the_goodbye_fails(settings, mailoutbox):
    """Once the server has taken the message, a failure to close the connection is not a
    failed attempt (which would send it again)."""
    settings.EMAIL_BACKEND = "tests.mail_backends.GoodbyeFailsBackend"
    email = record()
    assert email_send(email_id=email.pk) is True
    assert fresh(email).status == Status.SENT and len(mailoutbox) == 1


def test_the_attachment_is_made_when_the_email_is_sent(mailoutbox):
    made = []

    def render(ref):
        made.append(ref)
        return Attachment(f"letter-{ref}.pdf", b"%PDF-1.4 letter " + ref.encode(), "application/pdf")

    email_attachment_register("tests.letter", render)
    try:
        email = record(attachment="tests.letter:42")
        assert made == []
        email_send(email_id=email.pk)
    finally:
        EMAIL_ATTACHMENTS.pop("tests.letter")
    assert made == ["42"]
    assert mailoutbox[0].attachments == [("letter-42.pdf", b"%PDF-1.4 letter 42", "application/pdf")]


def test_an_attachment_nobody_can_make_is_a_failed_attempt(mailoutbox):
    email = record(attachment="nobody.registered:1")
    assert email_send(email_id=email.pk) is False
    email = fresh(email)
    assert email.status == Status.OWED and "LookupError" in email.last_error
    assert mailoutbox == []


def test_a_failed_attempt_is_retried_after_a_growing_wait_then_the_email_is_failed(
        outbox_settings, mail_server_down, mailoutbox):
    email = record()
    assert email_send(email_id=email.pk) is False
    email = fresh(email)
    assert (email.status, email.attempts) == (Status.OWED, 1)
    assert email.last_error == "Attempt 1: SMTPServerDisconnected: Connection unexpectedly closed"
    assert email.sending_since < email.due_at
    assert email_send(email_id=email.pk) is False and fresh(email).attempts == 1  # not due yet
    waits = []
    for attempt in (2, 3):
        age(email, due_at=1)
        email_send(email_id=email.pk)
        email = fresh(email)
        assert email.attempts == attempt
        waits.append(round((email.due_at - email.sending_since).total_seconds()))
    assert waits[0] == 4 * 60  # 1, 4, 16 minutes...
    assert email.status == Status.FAILED and email.last_error.startswith("Attempt 3:")
    assert list(emails_failed()) == [email]
    age(email, due_at=1)
    assert email_send(email_id=email.pk) is False and fresh(email).attempts == 3
    assert mailoutbox == []


def test_the_sweep_sends_what_is_owed_past_its_due_time(outbox_settings, mailoutbox):
    owed = record(key="owed")  # never handed over: the commit's hand-off did not happen
    young = record(key="young")
    age(owed, due_at=1)
    assert emails_sweep() == 1
    assert fresh(owed).status == Status.SENT and fresh(young).status == Status.OWED
    assert [m.extra_headers["Message-ID"] for m in mailoutbox] == [message_id("owed")]
    assert emails_sweep() == 0


def test_the_sweep_does_not_hand_over_again_what_it_handed_over_a_moment_ago(outbox_settings):
    email = record()
    OutboxEmail.objects.filter(pk=email.pk).update(last_enqueued_at=Now(),
                                                   due_at=Now() - timedelta(minutes=5))
    assert emails_sweep() == 0
    age(email, last_enqueued_at=61)
    assert emails_sweep() == 1


def test_the_sweep_resends_an_email_whose_worker_died_while_sending(outbox_settings, mailoutbox):
    email = record()
    OutboxEmail.objects.filter(pk=email.pk).update(status=Status.SENDING, attempts=1,
                                                   sending_since=Now(), last_enqueued_at=None)
    assert emails_sweep() == 0  # within the lease: perhaps still sending
    age(email, sending_since=301)
    assert emails_sweep() == 1
    email = fresh(email)
    assert (email.status, email.attempts) == (Status.SENT, 2)
    assert len(mailoutbox) == 1


def test_a_worker_dying_on_the_last_attempt_leaves_the_email_failed(outbox_settings, mailoutbox):
    email = record()
    OutboxEmail.objects.filter(pk=email.pk).update(status=Status.SENDING, attempts=3,
                                                   sending_since=Now() - timedelta(seconds=301))
    assert emails_sweep() == 0
    email = fresh(email)
    assert (email.status, email.last_error) == (Status.FAILED, LOST_WHILE_SENDING)
    assert mailoutbox == []


def test_the_sweep_stops_at_a_broker_error_and_the_emails_stay_owed(outbox_settings):
    with broker_down():
        emails = [record(key=f"k{n}") for n in range(3)]
        for email in emails:
            age(email, due_at=1)
        assert emails_sweep() == 0
    assert {e.status for e in OutboxEmail.objects.all()} == {Status.OWED}


def test_a_failed_email_can_be_sent_again(outbox_settings, settings,
                                          django_capture_on_commit_callbacks, mailoutbox):
    settings.EMAIL_OUTBOX_MAX_ATTEMPTS = 1
    settings.EMAIL_BACKEND = "tests.mail_backends.FailingBackend"
    email = record()
    email_send(email_id=email.pk)
    assert fresh(email).status == Status.FAILED
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        email_retry(email_id=email.pk)
    email = fresh(email)
    assert (email.status, email.attempts) == (Status.SENT, 1)
    assert len(mailoutbox) == 1
    with pytest.raises(ApplicationError, match="no longer waiting"):
        email_retry(email_id=email.pk)


def test_times_people_read_are_on_the_service_clock(mailoutbox):
    before = timezone.now()
    email = record()
    email_send(email_id=email.pk)
    email = fresh(email)
    assert before <= email.created_at <= email.sent_at <= timezone.now()


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_one_email_at_once_send_it_once(require_postgresql, settings, tmp_path,
                                                             monkeypatch):
    """Both claim at the same moment, on their own connections; one wins, the other finds it
    taken, however slow the sending."""
    from tests.mail_backends import messages_in

    settings.EMAIL_BACKEND = "tests.mail_backends.SlowFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    monkeypatch.setenv("EMAIL_TEST_SLOW", "before:0.5")
    with broker_down():  # committed at once here: left owed, not sent in-process
        email = record()
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(email_send(email_id=email.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, True]
    assert len(messages_in(tmp_path)) == 1
    assert (fresh(email).status, fresh(email).attempts) == (Status.SENT, 1)
