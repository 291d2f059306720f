"""Tasks called directly and through the on-commit path; beat's schedule names real tasks."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from funding import tasks
from funding.models import RecomputeRequest, ReconcileRun, ReleaseEntry
from lsp_portal.celery import app as celery_app

from .conftest import WALSALL_2002_PENCE

pytestmark = pytest.mark.django_db


def test_beat_schedules_registered_tasks():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["recomputes-owed"]["task"] == "funding.recomputes_requeue_owed"
    assert schedule["recomputes-owed"]["schedule"] == 60.0
    assert schedule["releases-reconcile-nightly"]["task"] == "funding.releases_reconcile"
    funding = {e["task"] for e in schedule.values() if e["task"].startswith("funding.")}
    assert funding <= set(celery_app.tasks)


def test_the_recompute_task_survives_worker_loss_and_retries_database_errors():
    task = celery_app.tasks["funding.releases_recompute"]
    assert task.acks_late and task.reject_on_worker_lost
    assert OperationalError in task.autoretry_for
    assert task.retry_backoff and task.max_retries
    assert (task.soft_time_limit, task.time_limit) == (60, 90)


def test_the_task_settles_a_request_and_then_does_nothing(walsall):
    walsall.defer()
    request = RecomputeRequest.objects.filter(partnership=walsall.partnership).latest("id")
    assert tasks.releases_recompute(request.pk) == 2
    assert tasks.releases_recompute(request.pk) is None
    assert ReleaseEntry.objects.count() == 2


def test_a_transition_is_recomputed_after_commit(walsall, eager_tasks,
                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        walsall.defer()
    request = RecomputeRequest.objects.filter(partnership=walsall.partnership).latest("id")
    assert request.completed_at is not None
    assert request.last_enqueued_at is not None
    entry = ReleaseEntry.objects.get(allocation=walsall.nrf_2002)
    assert entry.amount_pence == WALSALL_2002_PENCE * 67 // 100
    assert entry.request == request


def test_with_the_broker_unreachable_the_transition_stands_and_the_request_stays_owed(
    walsall, no_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assessment = walsall.defer()
    assert assessment.status == "deferred"
    request = RecomputeRequest.objects.filter(partnership=walsall.partnership).latest("id")
    assert (request.completed_at, request.last_enqueued_at) == (None, None)
    assert not ReleaseEntry.objects.exists()

    RecomputeRequest.objects.update(requested_at=timezone.now() - timedelta(minutes=5))
    assert tasks.recomputes_requeue_owed() == 0  # still down: nothing sent, nothing lost
    assert RecomputeRequest.objects.filter(completed_at=None).count() == 3


def test_the_sweep_sends_owed_requests_once_the_broker_is_back(walsall, eager_tasks):
    walsall.defer()  # in a test transaction nothing is sent on commit: all owed
    RecomputeRequest.objects.update(requested_at=timezone.now() - timedelta(minutes=5))
    assert tasks.recomputes_requeue_owed() == 1
    assert not RecomputeRequest.objects.filter(completed_at=None).exists()
    assert ReleaseEntry.objects.filter(allocation=walsall.nrf_2002).get().event.to_status == "deferred"


def test_the_sweep_leaves_recent_requests_alone(walsall, eager_tasks):
    walsall.defer()
    assert tasks.recomputes_requeue_owed() == 0
    assert RecomputeRequest.objects.filter(completed_at=None).count() == 3


def test_the_nightly_reconcile_task_records_a_run(walsall):
    run_id = tasks.releases_reconcile()
    run = ReconcileRun.objects.get(pk=run_id)
    assert run.requested_by == "beat"
    assert run.allocations_checked == 2
