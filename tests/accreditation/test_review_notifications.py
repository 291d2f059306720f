"""Emails after accreditation events, sent through Celery once the event is committed, and the
review-date reminders that Celery beat sends."""

import datetime as dt

import pytest
from django.utils import timezone

from accreditation.models import SelfAssessment, Status
from accreditation.notifications import review_reminders_send
from accreditation.services.decisions import Concern, assessment_accredit, assessment_defer
from accreditation.services.drafting import assessment_submit
from accreditation.services.review import assessment_return, assessment_start_review
from accreditation.tasks import review_reminders_send as review_reminders_send_task
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


def test_starting_a_review_emails_nobody(people, django_capture_on_commit_callbacks, mailoutbox):
    a = assessment_submit(assessment=people["assessment"], by=people["chair"])
    with django_capture_on_commit_callbacks(execute=True):
        assessment_start_review(assessment=a, by=people["reviewer"])
    assert mailoutbox == []


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


def _deferred_due(region, review_on, reviewer):
    return SelfAssessmentFactory(deferred=True, review_on=review_on, reviewer_user=reviewer,
                                 partnership__local_authority__region=region)


@pytest.mark.parametrize("days_before, sent", [(7, True), (0, True), (6, False), (8, False),
                                              (-1, False)])
def test_review_reminders_seven_days_before_and_on_the_day(days_before, sent, mailoutbox):
    region = RegionFactory()
    reviewer = RoleAssignmentFactory(reviewer=True, region=region, user__email="go@region.example").user
    RoleAssignmentFactory(reviewer=True, user__email="go@other.example")
    review_on = dt.date(2002, 3, 28)
    a = _deferred_due(region, review_on, reviewer)
    mailoutbox.clear()
    count = review_reminders_send(today=review_on - dt.timedelta(days=days_before))
    assert count == (1 if sent else 0)
    if sent:
        (message,) = mailoutbox
        assert message.to == ["go@region.example"]
        assert a.partnership.name in message.body
        assert ("today" in message.body) == (days_before == 0)
    else:
        assert mailoutbox == []


def test_no_reminder_once_the_review_has_started(mailoutbox):
    region = RegionFactory()
    reviewer = RoleAssignmentFactory(reviewer=True, region=region).user
    a = _deferred_due(region, TODAY, reviewer)
    assessment_start_review(assessment=a, by=reviewer)
    mailoutbox.clear()
    assert review_reminders_send(today=TODAY) == 0


def test_the_beat_task_sends_todays_reminders(mailoutbox):
    region = RegionFactory()
    reviewer = RoleAssignmentFactory(reviewer=True, region=region, user__email="go@region.example").user
    _deferred_due(region, TODAY + dt.timedelta(days=7), reviewer)
    mailoutbox.clear()
    assert review_reminders_send_task.delay().get() == 1
    assert mailoutbox[0].to == ["go@region.example"]


def test_beat_runs_the_reminders_daily(settings):
    from lsp_portal.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["review-reminders-daily"]
    assert entry["task"] == review_reminders_send_task.name
    assert entry["task"] in app.tasks
