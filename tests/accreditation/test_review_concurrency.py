"""Two Government Office reviewers deciding the same assessment at the same moment, on
PostgreSQL with real concurrent transactions: one decision wins, the other is told plainly what
happened, and nothing is applied twice."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accreditation.models import AccreditationEvent, Decision, SelfAssessment, Status
from accreditation.services.decisions import (
    BulkItem,
    Concern,
    assessment_accredit,
    assessment_defer,
    assessments_accredit_bulk,
)
from accreditation.services.review import assessment_start_review
from accreditation.services.transitions import ConflictError
from core.errors import ApplicationError
from funding.models import RecomputeRequest
from tests.factories import RoleAssignmentFactory, SelfAssessmentFactory
from tests.polling import wait_for, waiting_on_locks

pytestmark = pytest.mark.django_db(transaction=True)

REVIEW_ON = timezone.localdate() + dt.timedelta(days=30)


def _race(assessment, *actions):
    """Hold the assessment's row lock while every action starts, so they all queue on it, then
    let go: the actions really overlap, whatever the scheduler does."""
    locked, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def holder():
        try:
            with transaction.atomic():
                SelfAssessment.objects.select_for_update().get(pk=assessment.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    def run(name, action):
        try:
            action()
            results[name] = "applied"
        except ApplicationError as error:
            results[name] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    assert locked.wait(10)
    for name, action in actions:
        threads.append(threading.Thread(target=run, args=(name, action)))
        threads[-1].start()
    # Both reviewers (and nobody else) are now waiting for the lock.
    wait_for(lambda: waiting_on_locks() >= len(actions), timeout=10, every=0.02,
             message="the reviewers never queued on the assessment's lock")
    release.set()
    for thread in threads:
        thread.join(20)
    return results


def _setup():
    assessment = SelfAssessmentFactory(under_review=True)
    region = assessment.partnership.region
    first = RoleAssignmentFactory(reviewer=True, region=region, user__full_name="Pat One").user
    second = RoleAssignmentFactory(reviewer=True, region=region, user__full_name="Sam Two").user
    concern = Concern(requirement=assessment.cycle.requirements.first(),
                      concern="Thin.", action_required="Thicken.")
    return SelfAssessment.objects.get(pk=assessment.pk), first, second, concern


@pytest.mark.parametrize("with_version", [True, False])
def test_two_reviewers_deciding_at_once_one_wins(require_postgresql, with_version):
    assessment, first, second, concern = _setup()
    version = assessment.version if with_version else None
    events_before = AccreditationEvent.objects.filter(assessment=assessment).count()
    recomputes_before = RecomputeRequest.objects.count()

    results = _race(
        assessment,
        ("defer", lambda: assessment_defer(
            assessment=assessment, by=first, concerns=[concern], review_date=REVIEW_ON,
            expected_version=version)),
        ("accredit", lambda: assessment_accredit(
            assessment=assessment, by=second, expected_version=version)),
    )

    applied = [name for name, result in results.items() if result == "applied"]
    refused = [result for result in results.values() if isinstance(result, ApplicationError)]
    assert len(applied) == 1 and len(refused) == 1, results
    winner = applied[0]
    after = SelfAssessment.objects.get(pk=assessment.pk)
    assert after.status == (Status.DEFERRED if winner == "defer" else Status.ACCREDITED)
    assert after.version == assessment.version + 1
    assert Decision.objects.filter(assessment=assessment).count() == 1
    assert AccreditationEvent.objects.filter(assessment=assessment).count() == events_before + 1
    assert RecomputeRequest.objects.count() == recomputes_before + 1
    who, what = ("Pat One", "deferred") if winner == "defer" else ("Sam Two", "accredited")
    name = assessment.partnership.local_authority.name
    assert isinstance(refused[0], ConflictError)
    assert refused[0].message.startswith(f"{name} was already {what} by {who} at ")
    assert refused[0].message.endswith("; nothing you entered was applied.")


def test_two_reviewers_starting_the_same_review_one_takes_it(require_postgresql):
    assessment = SelfAssessmentFactory(submitted=True)
    region = assessment.partnership.region
    first = RoleAssignmentFactory(reviewer=True, region=region).user
    second = RoleAssignmentFactory(reviewer=True, region=region).user
    assessment = SelfAssessment.objects.get(pk=assessment.pk)

    results = _race(
        assessment,
        ("first", lambda: assessment_start_review(
            assessment=assessment, by=first, expected_version=assessment.version)),
        ("second", lambda: assessment_start_review(
            assessment=assessment, by=second, expected_version=assessment.version)),
    )

    assert sorted(r == "applied" for r in results.values()) == [False, True], results
    after = SelfAssessment.objects.get(pk=assessment.pk)
    assert after.reviewer == (first if results["first"] == "applied" else second)
    assert AccreditationEvent.objects.filter(assessment=assessment, to_status="under_review").count() == 1


def test_bulk_and_single_decision_at_once_apply_once(require_postgresql):
    assessment, first, second, concern = _setup()
    assessment.responses.update(go_rating="agree")
    assessment = SelfAssessment.objects.get(pk=assessment.pk)

    results = _race(
        assessment,
        ("bulk", lambda: assessments_accredit_bulk(
            items=[BulkItem(assessment=assessment, expected_version=assessment.version)],
            by=first)),
        ("defer", lambda: assessment_defer(
            assessment=assessment, by=second, concerns=[concern], review_date=REVIEW_ON,
            expected_version=assessment.version)),
    )

    assert sorted(r == "applied" for r in results.values()) == [False, True], results
    assert Decision.objects.filter(assessment=assessment).count() == 1
