"""Emails after accreditation events, recorded in the email outbox with the event and sent by
the worker once it is committed, and the review-date reminders that Celery beat records."""

import datetime as dt
import io

import pytest
from django.db import transaction
from django.utils import timezone
from pypdf import PdfReader

from accreditation.models import AccreditationEvent, SelfAssessment, Status
from accreditation.notifications import notifications_suppressed, review_reminders_send
from accreditation.services.decisions import Concern, assessment_accredit, assessment_defer
from accreditation.services.drafting import assessment_submit
from accreditation.services.review import assessment_return, assessment_start_review
from accreditation.tasks import review_reminders_send as review_reminders_send_task
from core.models import OutboxEmail
from core.outbox import email_send
from tests.factories import RegionFactory, RoleAssignmentFactory, SelfAssessmentFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def fresh(a):
    return SelfAssessment.objects.get(pk=a.pk)


@pytest.fixture
def people():
    region = RegionFactory()
    assessment = SelfAssessmentFactory(state="filled", partnership__local_authority__region=region)
    return {
        "assessment": assessment,
        "officer": RoleAssignmentFactory(officer=True, partnership=assessment.partnership,
                                         user__email="officer@walsall.lsp.example").user,
        "chair": RoleAssignmentFactory(chair=True, partnership=assessment.partnership,
                                       user__email="chair@walsall.lsp.example").user,
        "reviewer": RoleAssignmentFactory(reviewer=True, region=region,
                                          user__email="reviewer@west-midlands.go.example").user,
        "elsewhere": RoleAssignmentFactory(reviewer=True, user__email="reviewer@elsewhere.example").user,
    }


def test_submission_emails_the_regions_reviewers(people, django_capture_on_commit_callbacks,
                                                 mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        assessment_submit(assessment=people["assessment"], by=people["chair"])
    (message,) = mailoutbox
    assert message.to == ["reviewer@west-midlands.go.example"]
    assert "submitted" in message.subject.lower()
    event = AccreditationEvent.objects.get(to_status=Status.SUBMITTED)
    email = OutboxEmail.objects.get(key=f"event:{event.pk}:submitted")
    assert (email.status, email.attempts) == (OutboxEmail.Status.SENT, 1)


def test_starting_a_review_emails_nobody(people, django_capture_on_commit_callbacks, mailoutbox):
    a = assessment_submit(assessment=people["assessment"], by=people["chair"])
    with django_capture_on_commit_callbacks(execute=True):
        assessment_start_review(assessment=a, by=people["reviewer"])
    assert mailoutbox == []
    assert not OutboxEmail.objects.filter(kind="Accreditation decision").exists()


@pytest.mark.parametrize("decide", ["accredit", "defer", "return"])
def test_each_decision_emails_the_officer_and_chair_with_the_letter(
        people, decide, django_capture_on_commit_callbacks, mailoutbox):
    a = assessment_submit(assessment=people["assessment"], by=people["chair"])
    a = assessment_start_review(assessment=a, by=people["reviewer"])
    first = a.cycle.requirements.order_by("order").first()
    concern = Concern(requirement=first, concern="Thin.", action_required="Thicken.")
    with django_capture_on_commit_callbacks(execute=True):
        if decide == "accredit":
            assessment_accredit(assessment=a, by=people["reviewer"], letter="Dear Chair")
        elif decide == "defer":
            assessment_defer(assessment=a, by=people["reviewer"], concerns=[concern],
                             review_date=TODAY + dt.timedelta(days=30),
                             letter="Dear Chair")
        else:
            assessment_return(assessment=a, by=people["reviewer"],
                              reasons={first.pk: "More."}, letter="Dear Chair")
    (message,) = mailoutbox
    assert sorted(message.to) == ["chair@walsall.lsp.example", "officer@walsall.lsp.example"]
    assert message.body == "Dear Chair"
    (name, content, mimetype) = message.attachments[0]
    assert mimetype == "application/pdf" and content.startswith(b"%PDF") and name.endswith(".pdf")
    event = AccreditationEvent.objects.exclude(decision=None).get()
    email = OutboxEmail.objects.get(key=f"event:{event.pk}:decision")
    assert email.status == OutboxEmail.Status.SENT
    assert email.attachment == f"accreditation.decision_letter:{event.decision_id}"


def test_the_letter_pdf_is_made_from_the_stored_decision_when_the_email_is_sent(people, mailoutbox):
    """The outbox keeps a reference to the decision, not the PDF: the worker makes it."""
    a = assessment_submit(assessment=people["assessment"], by=people["chair"])
    a = assessment_start_review(assessment=a, by=people["reviewer"])
    assessment_accredit(assessment=a, by=people["reviewer"], letter="Dear Chair,\n\nWell done.")
    email = OutboxEmail.objects.get(kind="Accreditation decision")
    assert email.status == OutboxEmail.Status.OWED  # the commit's hand-off has not happened
    mailoutbox.clear()
    assert email_send(email_id=email.pk)
    (message,) = mailoutbox
    (_, content, _) = message.attachments[0]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Well done." in text


def test_a_decision_rolled_back_leaves_no_email(people, django_capture_on_commit_callbacks,
                                                mailoutbox):
    a = assessment_submit(assessment=people["assessment"], by=people["chair"])
    a = assessment_start_review(assessment=a, by=people["reviewer"])
    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          pytest.raises(RuntimeError), transaction.atomic()):
        assessment_accredit(assessment=a, by=people["reviewer"], letter="Dear Chair")
        assert OutboxEmail.objects.filter(kind="Accreditation decision").count() == 1
        raise RuntimeError("something after the decision, in its transaction, failed")
    assert not OutboxEmail.objects.filter(kind="Accreditation decision").exists()
    assert fresh(a).status == Status.UNDER_REVIEW
    assert callbacks == [] and mailoutbox == []


def test_events_recorded_as_history_owe_no_email(people, django_capture_on_commit_callbacks,
                                                 mailoutbox):
    """The demo's backdated history is loaded inside notifications_suppressed(): no outbox
    rows, so nothing can be sent later either."""
    with django_capture_on_commit_callbacks(execute=True), notifications_suppressed():
        a = assessment_submit(assessment=people["assessment"], by=people["chair"])
        a = assessment_start_review(assessment=a, by=people["reviewer"])
        assessment_accredit(assessment=a, by=people["reviewer"], letter="Dear Chair")
    assert not OutboxEmail.objects.exists() and mailoutbox == []


def test_a_failing_mail_server_never_undoes_the_decision(people, settings,
                                                         django_capture_on_commit_callbacks,
                                                         mailoutbox):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    a = assessment_submit(assessment=people["assessment"], by=people["chair"])
    a = assessment_start_review(assessment=a, by=people["reviewer"])
    with django_capture_on_commit_callbacks(execute=True):
        assessment_accredit(assessment=a, by=people["reviewer"], letter="Dear Chair")
    assert fresh(a).status == Status.ACCREDITED
    email = OutboxEmail.objects.get(kind="Accreditation decision")
    assert (email.status, email.attempts) == (OutboxEmail.Status.OWED, 1)
    assert "ConnectionRefusedError" in email.last_error
    assert mailoutbox == []


def _deferred_due(region, review_on, reviewer):
    return SelfAssessmentFactory(deferred=True, review_on=review_on, reviewer_user=reviewer,
                                 partnership__local_authority__region=region)


@pytest.fixture
def deferred():
    """A deferred assessment in a region with one reviewer; a reviewer elsewhere."""
    region = RegionFactory()
    reviewer = RoleAssignmentFactory(reviewer=True, region=region, user__email="go@region.example").user
    RoleAssignmentFactory(reviewer=True, user__email="go@other.example")
    return _deferred_due(region, dt.date(2002, 3, 28), reviewer)


def remind(on: dt.date, capture) -> int:
    """What one run of the beat job does on that day, with the outbox sending after commit."""
    with capture(execute=True):
        return review_reminders_send(today=on)


def reminder_keys() -> list[str]:
    return sorted(OutboxEmail.objects.filter(kind="Review reminder").values_list("key", flat=True))


REVIEW_ON = dt.date(2002, 3, 28)


@pytest.mark.parametrize("days_before, which, when", [
    (8, None, None),
    (7, 7, "on 28 March 2002, in 7 days"),
    (3, 7, "on 28 March 2002, in 3 days"),     # the 7-day reminder, missed until now
    (1, 7, "on 28 March 2002, in 1 day."),
    (0, 0, "today"),
    (-1, 0, "was due for review on 28 March 2002"),   # the day's reminder, missed until now
    (-40, 0, "was due for review on 28 March 2002"),
])
def test_a_reminder_is_due_on_or_after_its_date(deferred, days_before, which, when, mailoutbox,
                                                django_capture_on_commit_callbacks):
    mailoutbox.clear()
    count = remind(REVIEW_ON - dt.timedelta(days=days_before), django_capture_on_commit_callbacks)
    if which is None:
        assert count == 0 and mailoutbox == [] and reminder_keys() == []
        return
    assert count == 1
    assert reminder_keys() == [f"reminder:{deferred.pk}:1:{which}"]
    (message,) = mailoutbox
    assert message.to == ["go@region.example"]
    assert deferred.partnership.name in message.body and when in message.body
    assert ("today" in message.body) == (days_before == 0)


def test_each_reminder_is_sent_once_however_often_the_job_runs(
        deferred, mailoutbox, django_capture_on_commit_callbacks):
    mailoutbox.clear()
    sent = [remind(REVIEW_ON + dt.timedelta(days=d), django_capture_on_commit_callbacks)
            for d in (-9, -7, -7, -6, -1, 0, 0, 1, 5)]
    assert sent == [0, 1, 0, 0, 0, 1, 0, 0, 0]
    assert reminder_keys() == [f"reminder:{deferred.pk}:1:0", f"reminder:{deferred.pk}:1:7"]
    assert len(mailoutbox) == 2


def test_a_scheduler_down_for_days_reminds_once_when_it_comes_back(
        deferred, mailoutbox, django_capture_on_commit_callbacks):
    """Nothing ran from 8 days before the review date until 2 days after: one reminder (the
    review date's, saying it has passed), not the stale 7-day one as well."""
    mailoutbox.clear()
    assert remind(REVIEW_ON + dt.timedelta(days=2), django_capture_on_commit_callbacks) == 1
    assert remind(REVIEW_ON + dt.timedelta(days=3), django_capture_on_commit_callbacks) == 0
    (message,) = mailoutbox
    assert "was due for review on 28 March 2002" in message.body


def test_with_no_reviewer_nothing_is_recorded_until_one_is_appointed(
        mailoutbox, django_capture_on_commit_callbacks):
    region = RegionFactory()
    reviewer = RoleAssignmentFactory(reviewer=True, region=region)
    a = _deferred_due(region, REVIEW_ON, reviewer.user)
    reviewer.delete()
    mailoutbox.clear()
    assert remind(REVIEW_ON, django_capture_on_commit_callbacks) == 0
    assert reminder_keys() == []
    RoleAssignmentFactory(reviewer=True, region=region, user__email="new@region.example")
    assert remind(REVIEW_ON, django_capture_on_commit_callbacks) == 1
    assert reminder_keys() == [f"reminder:{a.pk}:1:0"]
    assert mailoutbox[0].to == ["new@region.example"]


def test_no_reminder_once_the_review_has_started(mailoutbox, django_capture_on_commit_callbacks):
    region = RegionFactory()
    reviewer = RoleAssignmentFactory(reviewer=True, region=region).user
    a = _deferred_due(region, TODAY, reviewer)
    assessment_start_review(assessment=a, by=reviewer)
    mailoutbox.clear()
    assert remind(TODAY, django_capture_on_commit_callbacks) == 0
    assert mailoutbox == []


def test_a_second_deferral_is_reminded_in_its_own_round(deferred, mailoutbox,
                                                        django_capture_on_commit_callbacks):
    reviewer = deferred.reviewer
    assert remind(REVIEW_ON, django_capture_on_commit_callbacks) == 1
    a = assessment_start_review(assessment=deferred, by=reviewer, today=REVIEW_ON)
    first = a.cycle.requirements.order_by("order").first()
    second_review = REVIEW_ON + dt.timedelta(days=60)
    assessment_defer(assessment=a, by=reviewer, review_date=second_review, on=REVIEW_ON,
                     concerns=[Concern(requirement=first, concern="Still thin.",
                                       action_required="Thicken.")])
    mailoutbox.clear()
    assert remind(second_review - dt.timedelta(days=7), django_capture_on_commit_callbacks) == 1
    assert remind(second_review, django_capture_on_commit_callbacks) == 1
    assert reminder_keys() == [f"reminder:{deferred.pk}:1:0", f"reminder:{deferred.pk}:2:0",
                               f"reminder:{deferred.pk}:2:7"]
    assert len(mailoutbox) == 2


def test_the_beat_task_records_the_reminders_due_on_the_service_clock(
        mailoutbox, django_capture_on_commit_callbacks):
    region = RegionFactory()
    reviewer = RoleAssignmentFactory(reviewer=True, region=region, user__email="go@region.example").user
    _deferred_due(region, TODAY + dt.timedelta(days=7), reviewer)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert review_reminders_send_task.delay().get() == 1
    assert mailoutbox[0].to == ["go@region.example"]


def test_beat_runs_the_reminders_and_the_email_sweep(settings):
    from core.tasks import emails_sweep
    from lsp_portal.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["review-reminders"]["task"] == review_reminders_send_task.name
    assert schedule["emails-owed"]["task"] == emails_sweep.name
    assert schedule["emails-owed"]["schedule"] == 60.0
    assert {schedule["review-reminders"]["task"], emails_sweep.name} <= set(app.tasks)
