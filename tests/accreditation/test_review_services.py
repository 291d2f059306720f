"""The Government Office's services: starting a review, rating, stakeholder views, every decision
from every state, conflicts on a stale version, bulk accreditation, and what each records."""

import datetime as dt

import pytest
from django.utils import timezone

from accreditation.models import (
    AccreditationEvent,
    Decision,
    FundingState,
    GoRating,
    RequirementResponse,
    SelfAssessment,
    StakeholderView,
    Status,
)
from accreditation.review_selectors import assessment_bulk_accreditable
from accreditation.services.decisions import (
    BulkItem,
    Concern,
    assessment_accredit,
    assessment_defer,
    assessments_accredit_bulk,
)
from accreditation.services.review import (
    assessment_return,
    assessment_start_review,
    response_go_rate,
    stakeholder_view_record,
)
from accreditation.services.transitions import ConflictError
from core.errors import ApplicationError
from funding.models import RecomputeRequest
from tests.factories import (
    RoleAssignmentFactory,
    SelfAssessmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NEXT_MONTH = TODAY + dt.timedelta(days=30)
STATES = ["draft", "submitted", "under_review", "accredited", "deferred"]


def fresh(assessment) -> SelfAssessment:
    return SelfAssessment.objects.get(pk=assessment.pk)


def make(state: str, **kwargs) -> SelfAssessment:
    if state == "draft":
        kwargs.setdefault("state", "filled")
    else:
        kwargs["state"] = state
    return SelfAssessmentFactory(**kwargs)


def reviewer_of(assessment):
    return RoleAssignmentFactory(reviewer=True, region=assessment.partnership.region).user


def concern(assessment, text="Community involvement is thin."):
    first = assessment.cycle.requirements.order_by("order").first()
    return Concern(requirement=first, concern=text, action_required="Involve them.",
                   due_by=NEXT_MONTH)


def accredit(a, by):
    return assessment_accredit(assessment=a, by=by)


def accredit_with_concerns(a, by):
    return assessment_accredit(assessment=a, by=by, concerns=[concern(a)])


def defer(a, by):
    return assessment_defer(assessment=a, by=by, concerns=[concern(a)],
                            review_date=NEXT_MONTH)


def return_for_changes(a, by):
    first = a.cycle.requirements.order_by("order").first()
    return assessment_return(assessment=a, by=by, reasons={first.pk: "Say more."})


def start_review(a, by):
    return assessment_start_review(assessment=a, by=by)


DECISIONS = {
    "accredit": (accredit, Status.ACCREDITED, Decision.Outcome.ACCREDITED),
    "accredit_with_concerns": (accredit_with_concerns, Status.ACCREDITED,
                               Decision.Outcome.ACCREDITED_WITH_CONCERNS),
    "defer": (defer, Status.DEFERRED, Decision.Outcome.DEFERRED),
    "return": (return_for_changes, Status.DRAFT, Decision.Outcome.RETURNED),
    "start_review": (start_review, Status.UNDER_REVIEW, None),
}
# Which state each action may start from. A deferred assessment's review may start only on or
# after its review date; the factory's is 28 March 2002, long past.
LEGAL = {
    "accredit": {"under_review"},
    "accredit_with_concerns": {"under_review"},
    "defer": {"under_review"},
    "return": {"under_review"},
    "start_review": {"submitted", "deferred"},
}


def counts(a):
    return (
        AccreditationEvent.objects.filter(assessment=a).count(),
        Decision.objects.filter(assessment=a).count(),
        RecomputeRequest.objects.filter(partnership=a.partnership).count(),
    )


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(DECISIONS))
def test_transition_table(state, action):
    """Every action from every state: the legal ones move the state and record one event, one
    decision (for decisions) and one recompute request; the illegal ones change nothing."""
    a = make(state)
    by = reviewer_of(a)
    call, target, outcome = DECISIONS[action]
    before = counts(a)
    version = fresh(a).version
    if state in LEGAL[action]:
        call(a, by)
        after = fresh(a)
        assert after.status == target
        assert after.version == version + 1
        events, decisions, recomputes = counts(a)
        assert events == before[0] + 1
        assert decisions == before[1] + (1 if outcome else 0)
        assert recomputes == before[2] + 1
        event = AccreditationEvent.objects.filter(assessment=a).latest("id")
        assert (event.from_status, event.to_status, event.by) == (state, target, by)
        assert RecomputeRequest.objects.filter(
            partnership=a.partnership, cause=RecomputeRequest.Cause.EVENT, cause_id=event.pk
        ).exists()
        if outcome:
            assert event.decision.outcome == outcome
            assert event.decision.decided_by == by
    else:
        with pytest.raises(ApplicationError):
            call(a, by)
        assert fresh(a).status == state
        assert fresh(a).version == version
        assert counts(a) == before


def test_start_review_records_who_took_it():
    a = make("submitted")
    by = reviewer_of(a)
    assessment_start_review(assessment=a, by=by)
    a = fresh(a)
    assert a.reviewer == by
    assert a.review_started_at is not None
    assert a.review_round == 1


def test_deferred_review_before_its_date_is_refused():
    a = make("deferred", review_on=NEXT_MONTH)
    with pytest.raises(ApplicationError, match="before its review date"):
        assessment_start_review(assessment=a, by=reviewer_of(a))
    assert fresh(a).status == Status.DEFERRED


def test_deferred_review_on_its_date_opens_the_next_round():
    a = make("deferred")
    assessment_start_review(assessment=a, by=reviewer_of(a), today=a.review_date)
    a = fresh(a)
    assert (a.status, a.review_round) == (Status.UNDER_REVIEW, 2)
    # The deferral stays in force for funding until the re-review decides.
    assert a.funding_state == FundingState.DEFERRED


@pytest.mark.parametrize("ending", ["accredit", "defer"])
def test_re_review_of_a_deferred_partnership_ends_in_accredit_or_further_deferral(ending):
    a = make("deferred")
    by = reviewer_of(a)
    assessment_start_review(assessment=a, by=by)
    DECISIONS[ending][0](fresh(a), by)
    a = fresh(a)
    decision = a.decisions.latest("id")
    assert decision.review_round == 2
    if ending == "accredit":
        assert (a.status, a.funding_state, a.review_date) == ("accredited", "accredited", None)
    else:
        assert (a.status, a.funding_state, a.review_date) == ("deferred", "deferred", NEXT_MONTH)
        assert decision.review_date == NEXT_MONTH


def test_accredit_with_concerns_records_each_concern():
    a = make("under_review")
    assessment_accredit(assessment=a, by=reviewer_of(a), concerns=[concern(a)])
    decision = fresh(a).decisions.get()
    (c,) = decision.concerns.all()
    assert (c.concern, c.action_required, c.due_by) == (
        "Community involvement is thin.", "Involve them.", NEXT_MONTH)
    assert fresh(a).funding_state == FundingState.ACCREDITED


@pytest.mark.parametrize("kwargs, message", [
    ({"concerns": []}, "at least one area of concern"),
    ({"review_date": None}, "review date"),
    ({"review_date": TODAY}, "after the date of the decision"),
])
def test_defer_needs_a_concern_and_a_future_review_date(kwargs, message):
    a = make("under_review")
    args = {"concerns": [concern(a)], "review_date": NEXT_MONTH, **kwargs}
    with pytest.raises(ApplicationError, match=message):
        assessment_defer(assessment=a, by=reviewer_of(a), **args)
    assert fresh(a).status == Status.UNDER_REVIEW
    assert not Decision.objects.filter(assessment=a).exists()


def test_a_concern_must_be_about_a_requirement_of_the_cycle():
    a = make("under_review")
    other = SelfAssessmentFactory(cycle__year_start=2003)
    stray = Concern(requirement=other.cycle.requirements.first(), concern="x",
                    action_required="y")
    with pytest.raises(ApplicationError, match="requirement of this cycle"):
        assessment_accredit(assessment=a, by=reviewer_of(a), concerns=[stray])
    assert fresh(a).status == Status.UNDER_REVIEW


def test_return_records_the_reason_against_each_requirement():
    a = make("under_review")
    r1, r2 = list(a.cycle.requirements.order_by("order"))[:2]
    assessment_return(assessment=a, by=reviewer_of(a), reasons={r1.pk: "More evidence."})
    reasons = dict(a.responses.values_list("requirement_id", "return_reason"))
    assert reasons[r1.pk] == "More evidence."
    assert reasons[r2.pk] == ""
    a = fresh(a)
    assert a.status == Status.DRAFT and a.reviewer is None


def test_return_needs_a_reason():
    a = make("under_review")
    with pytest.raises(ApplicationError, match="at least one requirement"):
        assessment_return(assessment=a, by=reviewer_of(a), reasons={1: "  "})


# --- Conflicts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["accredit", "accredit_with_concerns", "defer", "return"])
def test_a_stale_version_is_refused_and_nothing_is_applied(action):
    a = make("under_review")
    by = reviewer_of(a)
    stale = fresh(a).version - 1
    before = counts(a)
    call = {
        "accredit": lambda: assessment_accredit(assessment=a, by=by,
                                                expected_version=stale),
        "accredit_with_concerns": lambda: assessment_accredit(
            assessment=a, by=by, concerns=[concern(a)], expected_version=stale),
        "defer": lambda: assessment_defer(
            assessment=a, by=by, concerns=[concern(a)], review_date=NEXT_MONTH,
            expected_version=stale),
        "return": lambda: assessment_return(
            assessment=a, by=by, reasons={a.cycle.requirements.first().pk: "x"},
            expected_version=stale),
    }[action]
    with pytest.raises(ConflictError, match=r"Nothing you entered was applied"):
        call()
    assert fresh(a).status == Status.UNDER_REVIEW
    assert counts(a) == before


def test_second_reviewer_is_told_who_decided_first_and_when():
    a = make("under_review")
    first = reviewer_of(a)
    first.full_name = "Pat Reviewer"
    first.save()
    second = reviewer_of(a)
    version = fresh(a).version
    assessment_defer(assessment=a, by=first, concerns=[concern(a)],
                     review_date=NEXT_MONTH, expected_version=version)
    at = timezone.localtime(fresh(a).events.latest("id").at)
    with pytest.raises(ConflictError) as refused:
        assessment_accredit(assessment=a, by=second, expected_version=version)
    name = a.partnership.local_authority.name
    assert refused.value.message == (
        f"{name} was already deferred by Pat Reviewer at {at:%H:%M}; nothing you entered was applied."
    )
    assert Decision.objects.filter(assessment=a).count() == 1
    # Without a version (say, a second click), the state itself refuses, with the same message.
    with pytest.raises(ConflictError, match="already deferred by Pat Reviewer"):
        assessment_accredit(assessment=a, by=second)
    assert Decision.objects.filter(assessment=a).count() == 1


def test_a_page_stale_after_a_rating_is_refused_with_the_current_state():
    a = make("under_review")
    by = reviewer_of(a)
    version = fresh(a).version
    response_go_rate(response=a.responses.first(), by=by, go_rating=GoRating.AGREE,
                     expected_version=version)
    with pytest.raises(ConflictError, match="changed after you opened the page"):
        assessment_accredit(assessment=a, by=by, expected_version=version)
    assert fresh(a).status == Status.UNDER_REVIEW


# --- Rating --------------------------------------------------------------------------------------


def test_rating_agree_or_a_different_rating_with_a_reason():
    a = make("under_review")  # the factory rates every requirement green
    by = reviewer_of(a)
    r1, r2 = list(a.responses.order_by("requirement__order"))[:2]
    response_go_rate(response=r1, by=by, go_rating=GoRating.AGREE)
    response_go_rate(response=r2, by=by, go_rating=GoRating.AMBER,
                     go_comment="  Partners were not consulted.  ")
    r1.refresh_from_db()
    r2.refresh_from_db()
    assert (r1.go_rating, r1.go_comment) == ("agree", "")
    assert (r2.go_rating, r2.go_comment) == ("amber", "Partners were not consulted.")
    assert fresh(a).version == a.version + 2


def test_the_same_rating_as_the_partnerships_is_agreement():
    a = make("under_review")
    response = a.responses.first()
    response_go_rate(response=response, by=reviewer_of(a), go_rating=GoRating.GREEN)
    response.refresh_from_db()
    assert response.go_rating == GoRating.AGREE


@pytest.mark.parametrize("rating, comment, message", [
    ("red", "", "reason"),
    ("red", "   ", "reason"),
    ("purple", "x", "Choose agree, red, amber or green"),
])
def test_rating_refuses_bad_input(rating, comment, message):
    a = make("under_review")
    response = a.responses.first()
    with pytest.raises(ApplicationError, match=message):
        response_go_rate(response=response, by=reviewer_of(a), go_rating=rating,
                         go_comment=comment)
    response.refresh_from_db()
    assert response.go_rating == ""
    assert fresh(a).version == a.version


@pytest.mark.parametrize("state", ["draft", "submitted", "accredited", "deferred"])
def test_rating_only_while_under_review(state):
    a = make(state)
    with pytest.raises(ApplicationError, match="only while the assessment is under review"):
        response_go_rate(response=a.responses.first(), by=reviewer_of(a),
                         go_rating=GoRating.AGREE)
    assert not RequirementResponse.objects.filter(assessment=a).exclude(go_rating="").exists()


def test_rating_with_a_stale_version_is_refused():
    a = make("under_review")
    with pytest.raises(ConflictError):
        response_go_rate(response=a.responses.first(), by=reviewer_of(a),
                         go_rating=GoRating.AGREE, expected_version=a.version - 1)


# --- Stakeholder views ---------------------------------------------------------------------------


def view_args(**overrides):
    return {"organisation": "Walsall Voluntary Action", "sector": "voluntary",
            "stance": StakeholderView.Stance.CONCERNS, "comment": "We were consulted late.",
            "given_on": TODAY, **overrides}


def test_stakeholder_view_is_recorded_with_who_recorded_it():
    a = make("under_review")
    by = reviewer_of(a)
    view = stakeholder_view_record(assessment=a, by=by, **view_args(),
                                   expected_version=a.version)
    assert (view.assessment_id, view.recorded_by, view.stance) == (a.pk, by, "concerns")
    assert fresh(a).version == a.version + 1


@pytest.mark.parametrize("overrides, message", [
    ({"organisation": " "}, "organisation"),
    ({"comment": ""}, "organisation and what it said"),
    ({"sector": "church"}, "sector"),
    ({"stance": "maybe"}, "sector and whether"),
    ({"given_on": TODAY + dt.timedelta(days=1)}, "future"),
])
def test_stakeholder_view_refuses_bad_input(overrides, message):
    a = make("under_review")
    with pytest.raises(ApplicationError, match=message):
        stakeholder_view_record(assessment=a, by=reviewer_of(a), **view_args(**overrides))
    assert not StakeholderView.objects.filter(assessment=a).exists()


@pytest.mark.parametrize("state", ["draft", "submitted", "accredited", "deferred"])
def test_stakeholder_views_only_while_under_review(state):
    a = make(state)
    with pytest.raises(ApplicationError, match="while the assessment is under review"):
        stakeholder_view_record(assessment=a, by=reviewer_of(a), **view_args())


# --- Bulk accreditation --------------------------------------------------------------------------


def rated(a, rating=GoRating.AGREE):
    a.responses.update(go_rating=rating, go_comment="" if rating == "agree" else "Because.")
    return fresh(a)


def test_bulk_accredits_each_with_its_own_decision_event_and_recompute():
    one, two = rated(make("under_review")), rated(make("under_review"), GoRating.GREEN)
    by = UserFactory()
    done = assessments_accredit_bulk(
        items=[BulkItem(assessment=a, expected_version=a.version,
                        letter=lambda d: f"Letter for {d.assessment.partnership}")
               for a in (one, two)],
        by=by,
    )
    assert {a.pk for a in done} == {one.pk, two.pk}
    for a in (one, two):
        a = fresh(a)
        assert a.status == Status.ACCREDITED
        decision = a.decisions.get()
        assert decision.letter == f"Letter for {a.partnership}"
        event = a.events.get(decision=decision)
        assert event.by == by
        assert RecomputeRequest.objects.filter(cause_id=event.pk).count() == 1


@pytest.mark.parametrize("spoil", ["unrated", "red", "stale", "not_under_review", "duplicate"])
def test_bulk_is_all_or_nothing(spoil):
    good = rated(make("under_review"))
    other = make("deferred") if spoil == "not_under_review" else make("under_review")
    if spoil not in ("unrated", "not_under_review"):
        other = rated(other, GoRating.RED if spoil == "red" else GoRating.AGREE)
    version = other.version - 1 if spoil == "stale" else other.version
    items = [BulkItem(assessment=good, expected_version=good.version),
             BulkItem(assessment=other, expected_version=version)]
    if spoil == "duplicate":
        items = [items[0], items[0]]
    with pytest.raises(ApplicationError):
        assessments_accredit_bulk(items=items, by=UserFactory())
    assert fresh(good).status == Status.UNDER_REVIEW
    assert not Decision.objects.filter(assessment=good).exists()


def test_bulk_needs_a_selection():
    with pytest.raises(ApplicationError, match="at least one"):
        assessments_accredit_bulk(items=[], by=UserFactory())


@pytest.mark.parametrize("ratings, expected", [
    (["agree", "green", "agree"], True),
    (["agree", "amber", "agree"], False),
    (["agree", "", "agree"], False),
])
def test_bulk_accreditable(ratings, expected):
    a = make("under_review")
    for response, rating in zip(a.responses.order_by("requirement__order"), ratings, strict=True):
        response.go_rating = rating
        response.go_comment = "" if rating in ("", "agree") else "Because."
        response.save()
    assert assessment_bulk_accreditable(fresh(a)) is expected


# --- Letters and emails on commit ----------------------------------------------------------------


def test_a_letter_writer_sees_the_recorded_decision_and_its_concerns():
    a = make("under_review")
    seen = {}

    def write(decision):
        seen["concerns"] = [c.concern for c in decision.concerns.all()]
        seen["review_date"] = decision.review_date
        return "The letter."

    assessment_defer(assessment=a, by=reviewer_of(a), concerns=[concern(a)],
                     review_date=NEXT_MONTH, letter=write)
    assert seen == {"concerns": ["Community involvement is thin."], "review_date": NEXT_MONTH}
    assert fresh(a).decisions.get().letter == "The letter."


def test_decision_emails_are_sent_only_after_commit(django_capture_on_commit_callbacks, mailoutbox):
    a = make("under_review")
    RoleAssignmentFactory(officer=True, partnership=a.partnership, user__email="officer@x.example")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assessment_accredit(assessment=a, by=reviewer_of(a), letter="Dear Chair")
    assert mailoutbox == []
    for callback in callbacks:
        callback()
    (message,) = mailoutbox
    assert "officer@x.example" in message.to
