"""Emails the outbox gave up on, listed for NRU administrators, who can send them again."""

import pytest
from django.urls import reverse

from core.models import OutboxEmail
from core.outbox import email_record, email_send
from tests.factories import RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db

Status = OutboxEmail.Status


@pytest.fixture
def admin(client):
    user = RoleAssignmentFactory(admin=True, user=UserFactory(email="admin@nru.test")).user
    client.force_login(user)
    return user


def failed(settings, key="event:9:decision", subject="Accreditation decision: Walsall 2002/03"):
    settings.EMAIL_BACKEND = "tests.mail_backends.FailingBackend"
    settings.EMAIL_OUTBOX_MAX_ATTEMPTS = 2
    email = email_record(key=key, kind="Accreditation decision", subject=subject,
                         to=["chair@walsall.test", "officer@walsall.test"], body="Dear Chair")
    email_send(email_id=email.pk)
    OutboxEmail.objects.filter(pk=email.pk).update(due_at=email.created_at)
    email_send(email_id=email.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return OutboxEmail.objects.get(pk=email.pk)


def test_an_email_out_of_attempts_is_listed_with_its_error(admin, client, settings):
    email = failed(settings)
    assert email.status == Status.FAILED
    email_record(key="owed", kind="Review reminder", to=["go@wm.test"], subject="Owed", body=".")
    response = client.get(reverse("reporting:emails-failed"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Accreditation decision: Walsall 2002/03" in html
    assert "chair@walsall.test" in html and "officer@walsall.test" in html
    assert "Attempt 2: SMTPServerDisconnected: Connection unexpectedly closed" in html
    assert "1 email not sent" in html and "1 other email is waiting to be sent" in html
    assert "Owed" not in html  # waiting, not failed


def test_with_nothing_failed_the_page_says_so(admin, client):
    response = client.get(reverse("reporting:emails-failed"))
    assert "Every email has been sent, or is still being tried." in response.content.decode()


def test_sending_again_sends_it(admin, client, settings, django_capture_on_commit_callbacks,
                                mailoutbox):
    email = failed(settings)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reporting:email-send-again", args=[email.pk]), follow=True)
    assert "will be sent again" in response.content.decode()
    email = OutboxEmail.objects.get(pk=email.pk)
    assert (email.status, email.attempts) == (Status.SENT, 1)
    assert [m.to for m in mailoutbox] == [["chair@walsall.test", "officer@walsall.test"]]

    response = client.post(reverse("reporting:email-send-again", args=[email.pk]), follow=True)
    assert "no longer waiting to be sent again" in response.content.decode()
    response = client.post(reverse("reporting:email-send-again", args=[99999]), follow=True)
    assert response.status_code == 200 and "no longer waiting" in response.content.decode()
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("role", ["analyst", "reviewer", "officer"])
def test_nobody_else_sees_them(client, settings, role):
    email = failed(settings)
    client.force_login(RoleAssignmentFactory(**{role: True}).user)
    assert client.get(reverse("reporting:emails-failed")).status_code == 404
    assert client.post(reverse("reporting:email-send-again", args=[email.pk])).status_code == 404
    assert OutboxEmail.objects.get(pk=email.pk).status == Status.FAILED
    assert "could not be sent" not in client.get(reverse("core:home")).content.decode()


def test_the_home_page_tells_administrators_while_emails_are_not_sent(admin, client, settings):
    assert "could not be sent" not in client.get(reverse("core:home")).content.decode()
    failed(settings, key="a")
    failed(settings, key="b")
    html = client.get(reverse("core:home")).content.decode()
    assert "2 emails could not be sent." in html
    assert reverse("reporting:emails-failed") in html
