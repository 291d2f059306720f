"""Faults through the portal's own pages, without stopping the machine's shared services:
Redis unreachable (the broker URL points at a closed port) and PostgreSQL unreachable (the
connection points at a closed port). bench/faults/run.sh does the real thing to private
instances: a restart under load, Redis stopped and started, a worker killed."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accreditation.models import SelfAssessment, Status
from funding.ledger import releases_reconcile
from funding.models import Allocation, RecomputeRequest
from funding.outbox import recomputes_requeue_owed
from funding.selectors import allocation_figures
from tests.factories import RoleAssignmentFactory
from tests.funding.celery_control import broker_down, celery_publishing, closed_port
from tests.integration.conftest import queue_name, start_worker  # noqa: F401 (fixtures)
from tests.polling import wait_for

from .pages import post_fields
from .world import build_world

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("faults")]

GOVUK_500 = "Sorry, there is a problem with the service"


def _as(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _accredit(client: Client, assessment: SelfAssessment):
    """The reviewer's clicks: the form, the confirm page that states the money, confirm."""
    url = reverse("review:assessment-accredit", args=[assessment.pk])
    form = post_fields(client.get(url).text)
    confirm = client.post(url, {**form, "summary": "Accredited with Redis down."})
    assert confirm.status_code == 200, confirm.status_code
    return client.post(url, {**post_fields(confirm.text), "confirm": "1"})


@pytest.mark.django_db(transaction=True)
def test_with_redis_unreachable_decisions_and_pages_work_and_recomputes_catch_up_later(
    start_worker, require_redis, queue_name  # noqa: F811
):
    with celery_publishing(eager=True):  # the world's own recomputes, applied as it is built
        world = build_world()
    assert not RecomputeRequest.objects.filter(completed_at=None).exists()
    reviewer, analyst, officer = (_as(world.reviewer_1), _as(world.analyst), _as(world.officer_a))

    with broker_down():
        started = time.perf_counter()
        answer = _accredit(reviewer, world.c_review)
        took = time.perf_counter() - started
        assert answer.status_code == 302, answer.status_code
        assert answer.url.startswith("/review/decisions/")
        assert took < 5, f"the decision took {took:.1f} s with the broker down: publishing must fail fast"
        assert analyst.get(reverse("reporting:dashboard-show")).status_code == 200
        assert analyst.get(reverse("reporting:partnership-show", args=["sandwell"])).status_code == 200
        edit = reverse("accreditation:response-edit", args=[world.a_draft.pk, "R1"])
        page = officer.get(edit)
        saved = officer.post(edit, {**post_fields(page.text, edit), "self_rating": "amber",
                                    "case": "Changed while Redis was down.", "action": "later"})
        assert saved.status_code == 302

    assert SelfAssessment.objects.get(pk=world.c_review.pk).status == Status.ACCREDITED
    owed = RecomputeRequest.objects.filter(completed_at=None)
    assert owed.filter(partnership=world.partnership_c, last_enqueued_at=None).exists()
    nrf_2002 = Allocation.objects.get(partnership=world.partnership_c, year__start_year=2002)
    assert allocation_figures(allocations=Allocation.objects.filter(pk=nrf_2002.pk)).get() \
        .released_pence == 0  # nothing released until the recompute runs

    worker = start_worker()
    with celery_publishing(url=require_redis, queue=queue_name, eager=False):  # Redis is back
        assert recomputes_requeue_owed(older_than=timedelta(0)) >= 1
    wait_for(lambda: not RecomputeRequest.objects.filter(completed_at=None).exists(),
             message=f"owed recomputes not applied:\n{worker.output()}")
    figures = allocation_figures(allocations=Allocation.objects.filter(pk=nrf_2002.pk)).get()
    assert figures.released_pence == nrf_2002.amount_pence  # accredited: 100%
    assert releases_reconcile().drift_count == 0


@pytest.mark.django_db(transaction=True)
def test_with_postgresql_unreachable_pages_fail_with_the_govuk_page_and_recover(require_postgresql):
    analyst = _as(RoleAssignmentFactory(analyst=True).user)
    assert analyst.get(reverse("core:home")).status_code == 200
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = closed_port()
    try:
        for answer in (analyst.get(reverse("core:home")),
                       analyst.get(reverse("reporting_public:decisions-list")),
                       Client(raise_request_exception=False).post(
                           reverse("core:sign-in"), {"username": "a@b.test", "password": "x"})):
            assert answer.status_code == 500
            assert GOVUK_500 in answer.text and "Traceback" not in answer.text
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    # Back without restarting anything: the next request connects again.
    assert analyst.get(reverse("core:home")).status_code == 200
