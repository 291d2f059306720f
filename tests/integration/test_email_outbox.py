"""The email outbox end to end: a decision commits, its email travels through Redis to real
worker processes that write it with Django's file backend (one file per connection, counted
here), whatever happens to the broker or the worker on the way.

The last test shows the window that remains (README, "Emails"): a worker killed after the mail
server accepted a message and before the outbox marked it sent. Then the message goes twice,
both times with the same Message-ID."""

import os
import re
import signal
from datetime import timedelta

import pytest
from django.db.models import Q
from django.db.models.functions import Now

from accreditation.services.decisions import assessment_accredit
from core.models import OutboxEmail
from core.outbox import email_enqueue, message_id
from core.tasks import emails_sweep as emails_sweep_task
from tests.factories import (
    LocalAuthorityFactory,
    PartnershipFactory,
    RegionFactory,
    RoleAssignmentFactory,
    SelfAssessmentFactory,
)
from tests.funding.celery_control import broker_down, celery_publishing
from tests.mail_backends import messages_in
from tests.polling import wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.xdist_group("worker"),
    pytest.mark.django_db(transaction=True),
]

Status = OutboxEmail.Status
LEASE = 6  # seconds an attempt may be "sending" before the sweep presumes its worker dead


@pytest.fixture
def mail_dir(tmp_path):
    return tmp_path / "mail"


@pytest.fixture
def worker_environment(mail_dir):
    def environment(slow: str = "") -> dict[str, str]:
        return {
            "EMAIL_BACKEND": "tests.mail_backends.SlowFileBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            "EMAIL_TEST_SLOW": slow,
            "EMAIL_OUTBOX_LEASE_SECONDS": str(LEASE),
            "DEFAULT_FROM_EMAIL": "lsp-portal@nru.example",
        }
    return environment


@pytest.fixture
def outbox_settings(settings):
    """This process records the emails and runs the sweep, as the web process and beat do."""
    settings.EMAIL_OUTBOX_GRACE_SECONDS = 1
    settings.EMAIL_OUTBOX_LEASE_SECONDS = LEASE
    settings.DEFAULT_FROM_EMAIL = "lsp-portal@nru.example"
    return settings


def walsall_under_review():
    """Walsall's self-assessment under review, with an officer and a chair to write to."""
    region = RegionFactory(name="West Midlands", slug="west-midlands")
    partnership = PartnershipFactory(local_authority=LocalAuthorityFactory(
        name="Walsall", slug="walsall", region=region))
    chair = RoleAssignmentFactory(chair=True, partnership=partnership,
                                  user__email="chair@walsall.test").user
    RoleAssignmentFactory(officer=True, partnership=partnership, user__email="officer@walsall.test")
    return SelfAssessmentFactory(partnership=partnership, under_review=True, chair_user=chair)


def accredit(assessment, letter: str = "") -> OutboxEmail:
    assessment_accredit(assessment=assessment, by=assessment.reviewer, letter=letter,
                        summary="Accredited")
    return OutboxEmail.objects.get(kind="Accreditation decision")


def fresh(email: OutboxEmail) -> OutboxEmail:
    return OutboxEmail.objects.get(pk=email.pk)


def sweep_would_take(email: OutboxEmail) -> bool:
    """The sweep would hand the email over now, on the database's clock (core/outbox.py): owed
    and past its grace, or sending and past its lease."""
    return OutboxEmail.objects.filter(pk=email.pk).filter(
        Q(status=Status.OWED, due_at__lte=Now())
        | Q(status=Status.SENDING, sending_since__lte=Now() - timedelta(seconds=LEASE))).exists()


def finished(worker) -> int:
    """How many email_send tasks this worker has run to the end."""
    return len(re.findall(r"Task core\.email_send\[[^\]]+\] succeeded", worker.output()))


def test_a_decision_made_while_the_broker_is_down_is_emailed_once_it_is_back(
    start_worker, require_redis, queue_name, mail_dir, worker_environment, outbox_settings
):
    assessment = walsall_under_review()
    with broker_down():
        email = accredit(assessment, letter="Dear Chair,\n\nWalsall LSP is accredited.")
    email = fresh(email)
    assert (email.status, email.attempts, email.last_enqueued_at) == (Status.OWED, 0, None)

    worker = start_worker(environment=worker_environment())
    wait_for(lambda: sweep_would_take(email), message="the grace never ended")
    assert messages_in(mail_dir) == []
    with celery_publishing(url=require_redis, queue=queue_name):  # the broker is back
        assert emails_sweep_task() == 1  # what beat runs every minute
        wait_for(lambda: fresh(email).status == Status.SENT,
                 message=f"owed email not sent:\n{worker.output()}")
        assert emails_sweep_task() == 0

    (message,) = messages_in(mail_dir)
    assert message["To"] == "chair@walsall.test, officer@walsall.test"
    assert message["Message-ID"] == message_id(email.key)
    assert message["Subject"].startswith("Accreditation decision: Walsall")
    [pdf] = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    assert pdf.get_payload(decode=True).startswith(b"%PDF")
    assert fresh(email).attempts == 1


def test_two_workers_handed_one_email_four_times_send_it_once(
    start_worker, publish_to_workers, mail_dir, worker_environment, outbox_settings
):
    """A redelivered message, a sweep overlapping the commit's hand-off: the row is claimed by
    one conditional update, so whichever worker comes second sends nothing."""
    assessment = walsall_under_review()
    with broker_down():
        email = accredit(assessment)
    workers = [start_worker(environment=worker_environment(slow="before:1")) for _ in range(2)]
    for _ in range(4):
        assert email_enqueue(email_id=email.pk)
    wait_for(lambda: sum(finished(w) for w in workers) == 4,
             message="\n".join(w.output() for w in workers))
    assert fresh(email).status == Status.SENT and fresh(email).attempts == 1
    assert len(messages_in(mail_dir)) == 1
    assert all(finished(w) for w in workers), "both workers should have had a copy"


def test_a_worker_killed_while_sending_leaves_exactly_one_email(
    start_worker, publish_to_workers, mail_dir, worker_environment, outbox_settings
):
    """SIGKILL of the pool process while it talks to the mail server, before the message is
    accepted: the redelivered task finds the row still leased and leaves it; once the lease is
    over the sweep hands it over again and a fresh process sends it."""
    worker = start_worker(pool="prefork", environment=worker_environment(slow="before:60"))
    assessment = walsall_under_review()
    with broker_down():
        email = accredit(assessment)

    assert email_enqueue(email_id=email.pk)
    wait_for(lambda: fresh(email).status == Status.SENDING,
             message=f"the email was never taken:\n{worker.output()}")
    # Inside the slow send: the backend marks a message's first attempt, then waits.
    wait_for(lambda: any(mail_dir.glob(".attempted-*")),
             message=f"the send never began:\n{worker.output()}")
    [child] = worker.children()
    os.kill(child, signal.SIGKILL)
    wait_for(lambda: "WorkerLostError" in worker.output(),
             message=f"the pool did not notice the kill:\n{worker.output()}")
    assert messages_in(mail_dir) == []
    assert fresh(email).status == Status.SENDING and fresh(email).attempts == 1

    # The redelivered copy runs in a fresh pool process and finds the row leased (unless a busy
    # machine delays it past the lease: then it sends it, and the sweep finds nothing to do).
    wait_for(lambda: finished(worker) == 1, message=f"not redelivered:\n{worker.output()}")
    wait_for(lambda: sweep_would_take(email) or fresh(email).status == Status.SENT,
             message="the lease never ended")
    emails_sweep_task()  # 1, or 0 if a busy machine delayed the redelivered copy past the lease
    wait_for(lambda: fresh(email).status == Status.SENT,
             message=f"the email was not sent after the kill:\n{worker.output()}")
    assert fresh(email).attempts == 2
    (message,) = messages_in(mail_dir)
    assert message["Message-ID"] == message_id(email.key)


def test_a_worker_killed_after_the_mail_server_accepted_sends_it_twice_the_residual_window(
    start_worker, publish_to_workers, mail_dir, worker_environment, outbox_settings
):
    """Accepted by the mail server, killed before the row is marked sent: the outbox cannot
    know the message went, so after the lease it sends it again. Both copies carry the same
    Message-ID, by which mail programs recognise the second."""
    worker = start_worker(pool="prefork", environment=worker_environment(slow="after:60"))
    assessment = walsall_under_review()
    with broker_down():
        email = accredit(assessment)

    assert email_enqueue(email_id=email.pk)
    wait_for(lambda: len(messages_in(mail_dir)) == 1,
             message=f"the email was never written:\n{worker.output()}")
    assert fresh(email).status == Status.SENDING
    [child] = worker.children()
    os.kill(child, signal.SIGKILL)
    wait_for(lambda: "WorkerLostError" in worker.output(), message=worker.output())
    wait_for(lambda: sweep_would_take(email), message="the lease never ended")
    emails_sweep_task()
    wait_for(lambda: fresh(email).status == Status.SENT, message=worker.output())
    first, second = messages_in(mail_dir)
    assert first["Message-ID"] == second["Message-ID"] == message_id(email.key)
