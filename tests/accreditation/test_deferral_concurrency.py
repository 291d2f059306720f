"""The response to a deferral racing the Government Office, on PostgreSQL with real concurrent
transactions: the chair's sign-off and the reviewer's start of the next round, and two sign-offs
at once. One wins; the other is told plainly what happened and nothing is applied twice."""

import pytest

from accreditation.models import AccreditationEvent, DeferralResponse, Status
from accreditation.services.deferral import deferral_progress_save, deferral_sign_off
from accreditation.services.review import assessment_start_review
from accreditation.services.transitions import ConflictError
from tests.factories import RoleAssignmentFactory

from .deferral_world import REVIEW_ON, build_deferred_walsall
from .test_review_concurrency import _race

pytestmark = pytest.mark.django_db(transaction=True)


def _ready():
    w = build_deferred_walsall()
    for concern in (w.r1_concern, w.r2_concern):
        deferral_progress_save(assessment=w.assessment(), concern_id=concern.pk, by=w.officer,
                               text="Done.", expected_version=0, decision_id=w.decision.pk)
    return w, DeferralResponse.objects.get(decision=w.decision).version


def test_sign_off_and_the_start_of_the_review_at_once_one_wins(require_postgresql):
    w, response_version = _ready()
    page_version = w.assessment().version  # both pages were opened now
    results = _race(
        w.assessment(),
        ("sign_off", lambda: deferral_sign_off(
            assessment=w.assessment(), by=w.chair, expected_version=response_version,
            decision_id=w.decision.pk)),
        ("review", lambda: assessment_start_review(
            assessment=w.assessment(), by=w.reviewer, expected_version=page_version,
            today=REVIEW_ON)),
    )
    applied = [name for name, result in results.items() if result == "applied"]
    assert len(applied) == 1, results
    (loser,) = set(results) - set(applied)
    assert isinstance(results[loser], ConflictError)
    events = AccreditationEvent.objects.filter(assessment_id=w.pk).order_by("id")
    if applied == ["sign_off"]:
        assert w.assessment().status == Status.RESPONSE_RECEIVED
        assert "response to the deferral was signed off by" in results["review"].message
    else:
        assert (w.assessment().status, w.assessment().review_round) == (Status.UNDER_REVIEW, 2)
        assert "it is now under review" in results["sign_off"].message
        assert DeferralResponse.objects.get().signed_off_at is None
    assert events.last().to_status == w.assessment().status


def test_two_sign_offs_at_once_send_one_response(require_postgresql):
    w, response_version = _ready()
    second_chair = RoleAssignmentFactory(chair=True, partnership=w.partnership).user
    results = _race(
        w.assessment(),
        *[(name, lambda by=by: deferral_sign_off(
            assessment=w.assessment(), by=by, expected_version=response_version,
            decision_id=w.decision.pk)) for name, by in (("one", w.chair), ("two", second_chair))],
    )
    assert list(results.values()).count("applied") == 1, results
    refused = next(r for r in results.values() if r != "applied")
    assert "was already signed off by" in refused.message
    assert AccreditationEvent.objects.filter(assessment_id=w.pk,
                                             to_status=Status.RESPONSE_RECEIVED).count() == 1
