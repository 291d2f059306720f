"""The officer's services: starting, saving answers with their version check, the history,
progress on last cycle's concerns, asking the chair, and submission with its blockers."""

import datetime as dt

import pytest
from django.utils import timezone

from accreditation.models import (
    AccreditationEvent,
    AssessmentChange,
    ConcernProgress,
    Decision,
    SelfAssessment,
    Status,
)
from accreditation.selectors import assessment_submission_blockers
from accreditation.services.drafting import (
    CASE_WORD_LIMIT,
    HISTORY_COALESCE_WINDOW,
    TEXT_CHARACTER_LIMIT,
    assessment_sign_off_request,
    assessment_start,
    assessment_submit,
    concern_progress_save,
    concern_progress_token,
    response_save,
)
from accreditation.services.review import assessment_return, assessment_start_review
from accreditation.services.transitions import ConflictError
from core.errors import ApplicationError
from funding.models import RecomputeRequest
from tests.factories import (
    CycleFactory,
    PartnershipFactory,
    RoleAssignmentFactory,
    SelfAssessmentFactory,
    assessment_fill,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def partnership():
    return PartnershipFactory()


@pytest.fixture
def officer(partnership):
    return RoleAssignmentFactory(officer=True, partnership=partnership).user


@pytest.fixture
def chair(partnership):
    return RoleAssignmentFactory(chair=True, partnership=partnership).user


@pytest.fixture
def draft(partnership, officer):
    return assessment_start(partnership=partnership, cycle=CycleFactory(), by=officer)


def first_response(assessment):
    return assessment.responses.select_related("requirement").order_by("requirement__order").first()


def save(response, by, *, rating="green", case="Our case.", version=None, **kwargs):
    return response_save(response=response, by=by, self_rating=rating, case=case,
                         expected_version=response.version if version is None else version,
                         **kwargs)


def fresh(assessment) -> SelfAssessment:
    return SelfAssessment.objects.get(pk=assessment.pk)


# --- Starting ----------------------------------------------------------------------------------

def test_starting_creates_one_empty_answer_per_requirement_and_records_who(draft, officer):
    assert draft.status == Status.DRAFT
    assert [r.requirement.code for r in draft.responses.order_by("requirement__order")] == [
        "R1", "R2", "R3"]
    assert not any(r.self_rating or r.case for r in draft.responses.all())
    started = draft.changes.get()
    assert (started.action, started.by, started.summary) == (
        AssessmentChange.Action.STARTED, officer, "Self-assessment started")


def test_starting_again_returns_the_same_assessment_unchanged(draft, partnership, officer):
    again = assessment_start(partnership=partnership, cycle=draft.cycle, by=officer)

    assert again.pk == draft.pk
    assert SelfAssessment.objects.count() == 1
    assert draft.changes.count() == 1


def test_a_cycle_not_yet_open_cannot_be_started(partnership, officer):
    future = CycleFactory(year_start=timezone.localdate().year + 2)

    with pytest.raises(ApplicationError, match="cycle opens on"):
        assessment_start(partnership=partnership, cycle=future, by=officer)
    assert not SelfAssessment.objects.exists()


def test_the_next_cycle_starts_from_last_cycles_answers_and_concerns(partnership, officer):
    """The deferral's area of concern needs a progress report; answers are copied by code."""
    last = SelfAssessmentFactory(partnership=partnership, deferred=True)
    last_r1 = last.responses.get(requirement__code="R1")
    next_cycle = CycleFactory(year_start=2003, requirements=4)

    started = assessment_start(partnership=partnership, cycle=next_cycle, by=officer)

    copied = {r.requirement.code: r for r in started.responses.select_related("requirement")}
    assert copied["R1"].case == last_r1.case and copied["R1"].self_rating == last_r1.self_rating
    assert copied["R1"].carried_forward_from == last_r1
    assert copied["R4"].case == "" and copied["R4"].carried_forward_from is None
    concern = last.decisions.get().concerns.get()
    progress = started.concern_progress.get()
    assert progress.concern == concern and progress.progress == ""
    assert "from the 2002/03 answers, with 1 area(s) of concern" in started.changes.get().summary


def test_a_return_for_changes_is_not_the_decision_carried_forward(partnership, officer):
    last = SelfAssessmentFactory(partnership=partnership, under_review=True)
    reviewer = last.reviewer
    assessment_return(assessment=last, by=reviewer,
                      reasons={last.responses.first().requirement_id: "Say more"})

    started = assessment_start(partnership=partnership, cycle=CycleFactory(year_start=2003),
                               by=officer)

    assert not started.concern_progress.exists()


# --- Saving an answer --------------------------------------------------------------------------

def test_a_save_stores_the_answer_bumps_both_versions_and_is_recorded(draft, officer):
    response = first_response(draft)

    saved = save(response, officer, rating="amber", case="We meet monthly.")

    assert (saved.self_rating, saved.case, saved.version) == ("amber", "We meet monthly.", 2)
    assert fresh(draft).version == draft.version + 1
    change = draft.changes.latest("id")
    assert change.action == AssessmentChange.Action.RESPONSE_SAVED
    assert change.by == officer and change.requirement == response.requirement
    assert change.changes["self_rating"] == ["", "amber"]
    assert change.changes["case"] == ["", "We meet monthly."]
    assert change.summary == "R1 answer saved: rating not given → amber; case edited (0 → 3 words)"


def test_a_save_from_a_stale_page_is_refused_and_changes_nothing(draft, officer, partnership):
    other_officer = RoleAssignmentFactory(officer=True, partnership=partnership).user
    response = first_response(draft)
    save(response, other_officer, case="Their version.")

    with pytest.raises(ConflictError, match=r"This answer was changed by .* after you opened"):
        save(response, officer, case="My version.", version=1)

    response.refresh_from_db()
    assert response.case == "Their version." and response.version == 2


def test_a_repeated_save_of_what_is_already_saved_is_accepted_as_a_no_op(draft, officer):
    """A double-submitted form or a retried autosave must not look like a conflict."""
    response = first_response(draft)
    save(response, officer, case="Same text.")
    version = fresh(draft).version

    again = save(response, officer, case="Same text.", version=1)

    assert again.version == 2
    assert fresh(draft).version == version
    assert draft.changes.filter(action=AssessmentChange.Action.RESPONSE_SAVED).count() == 1


def test_nothing_can_be_saved_once_submitted(draft, officer, chair):
    assessment_fill(draft)
    assessment_submit(assessment=draft, by=chair)
    response = first_response(draft)

    with pytest.raises(ConflictError, match=r"was submitted by .*, so it can no longer be changed"):
        save(response, officer, case="Too late.")
    response.refresh_from_db()
    assert response.case == "Our case, with evidence."


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"rating": "purple"}, "self_rating", "Select red, amber or green"),
        ({"case": "word " * (CASE_WORD_LIMIT + 1)}, "case",
         f"Your case must be {CASE_WORD_LIMIT} words or fewer (it is {CASE_WORD_LIMIT + 1} words)"),
        ({"case": "x" * (TEXT_CHARACTER_LIMIT + 1)}, "case", "must be 10,000 characters or fewer"),
        ({"inclusiveness_note": "w " * 301}, "inclusiveness_note", "300 words or fewer"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(draft, officer, kwargs, field, message):
    response = first_response(draft)

    with pytest.raises(ApplicationError) as refused:
        save(response, officer, **kwargs)

    assert message in refused.value.message and refused.value.extra["field"] == field
    response.refresh_from_db()
    assert response.version == 1 and response.case == ""


def test_exactly_the_word_limit_is_accepted_and_blank_answers_may_be_saved(draft, officer):
    response = first_response(draft)
    save(response, officer, case="word " * CASE_WORD_LIMIT)
    response.refresh_from_db()
    saved = save(response, officer, rating="", case="   ")
    assert (saved.self_rating, saved.case) == ("", "")


def test_the_inclusiveness_note_is_saved_with_its_answer(draft, officer):
    r2 = draft.responses.get(requirement__code="R2")

    save(r2, officer, inclusiveness_note="We are recruiting a business member.")

    assert fresh(draft).inclusiveness_note == "We are recruiting a business member."
    assert draft.changes.latest("id").summary.endswith("note on missing sectors edited")


def test_saves_of_one_answer_by_one_person_close_together_are_one_history_entry(draft, officer):
    response = first_response(draft)
    start = timezone.now()
    save(response, officer, case="One.", at=start)
    response.refresh_from_db()
    save(response, officer, case="One two.", at=start + dt.timedelta(minutes=2))
    response.refresh_from_db()
    save(response, officer, case="One two three.", at=start + dt.timedelta(minutes=4))

    entries = list(draft.changes.filter(action=AssessmentChange.Action.RESPONSE_SAVED))
    assert len(entries) == 1
    assert entries[0].changes["case"] == ["", "One two three."]
    assert entries[0].at == start + dt.timedelta(minutes=4)


def test_a_save_after_the_window_or_by_someone_else_is_a_new_history_entry(
    draft, officer, partnership
):
    colleague = RoleAssignmentFactory(officer=True, partnership=partnership).user
    response = first_response(draft)
    start = timezone.now()
    save(response, officer, case="One.", at=start)
    response.refresh_from_db()
    save(response, colleague, case="Two.", at=start + dt.timedelta(minutes=1))
    response.refresh_from_db()
    later = start + dt.timedelta(minutes=1) + HISTORY_COALESCE_WINDOW + dt.timedelta(seconds=1)
    save(response, colleague, case="Three.", at=later)

    entries = list(draft.changes.filter(action=AssessmentChange.Action.RESPONSE_SAVED)
                   .order_by("at"))
    assert [(e.by, e.changes["case"]) for e in entries] == [
        (officer, ["", "One."]), (colleague, ["One.", "Two."]), (colleague, ["Two.", "Three."])]


# --- Progress on last cycle's areas of concern -------------------------------------------------

@pytest.fixture
def next_draft(partnership, officer):
    SelfAssessmentFactory(partnership=partnership, deferred=True)
    return assessment_start(partnership=partnership, cycle=CycleFactory(year_start=2003),
                            by=officer)


def test_progress_on_a_concern_is_saved_and_recorded(next_draft, officer):
    progress = next_draft.concern_progress.get()

    saved = concern_progress_save(progress=progress, by=officer, text="Two new members.",
                                  expected_token=concern_progress_token(progress))

    assert saved.progress == "Two new members." and saved.updated_by == officer
    assert next_draft.changes.latest("id").action == AssessmentChange.Action.PROGRESS_SAVED


def test_progress_from_a_stale_page_is_refused(next_draft, officer):
    progress = next_draft.concern_progress.get()
    token = concern_progress_token(progress)
    concern_progress_save(progress=progress, by=officer, text="First.", expected_token=token)

    with pytest.raises(ConflictError, match="was changed after you opened the page"):
        concern_progress_save(progress=progress, by=officer, text="Second.", expected_token=token)
    assert ConcernProgress.objects.get().progress == "First."


# --- Asking the chair, and submission ----------------------------------------------------------

def test_blockers_list_every_missing_rating_and_case(draft, officer):
    save(first_response(draft), officer, rating="", case="Kept.")

    blockers = assessment_submission_blockers(draft)

    assert [b.key for b in blockers] == ["R1", "R2", "R3"]
    assert blockers[0].message == "R1 Requirement R1: select a self-rating"
    assert blockers[1].message == "R2 Requirement R2: select a self-rating and write your case"


def test_each_concern_from_last_cycle_needs_a_progress_report(next_draft):
    """The answers were carried forward complete: only the progress report is missing."""
    progress = next_draft.concern_progress.get()

    blockers = assessment_submission_blockers(next_draft)

    assert [b.key for b in blockers] == [f"concern-{progress.pk}"]
    assert blockers[0].message == (
        "Report your progress on the area of concern about R1 Requirement R1")


def test_submission_is_blocked_until_everything_is_answered(next_draft, chair):
    with pytest.raises(ApplicationError, match="cannot be submitted yet: Report your progress"):
        assessment_submit(assessment=next_draft, by=chair)

    assert fresh(next_draft).status == Status.DRAFT
    assert not AccreditationEvent.objects.filter(assessment=next_draft).exists()


def test_a_complete_draft_is_submitted_by_the_chair(next_draft, officer, chair,
                                                    django_capture_on_commit_callbacks):
    assessment_fill(next_draft)
    progress = next_draft.concern_progress.get()
    concern_progress_save(progress=progress, by=officer, text="Done.",
                          expected_token=concern_progress_token(progress))
    version = fresh(next_draft).version

    with django_capture_on_commit_callbacks():
        submitted = assessment_submit(assessment=next_draft, by=chair, expected_version=version)

    assert submitted.status == Status.SUBMITTED and submitted.signed_off_by == chair
    event = submitted.events.get()
    assert (event.from_status, event.to_status, event.by) == ("draft", "submitted", chair)
    assert RecomputeRequest.objects.filter(cause_id=event.pk).exists()


def test_sign_off_of_a_page_loaded_before_a_later_save_is_refused(draft, officer, chair):
    """The chair must submit what they saw."""
    assessment_fill(draft)
    seen = fresh(draft).version
    response = first_response(draft)
    save(response, officer, case="Changed after the chair loaded the page.")

    with pytest.raises(ConflictError):
        assessment_submit(assessment=draft, by=chair, expected_version=seen)
    assert fresh(draft).status == Status.DRAFT


@pytest.mark.parametrize("state", ["submitted", "under_review", "accredited", "deferred"])
def test_only_a_draft_can_be_submitted(state, partnership, chair):
    assessment = SelfAssessmentFactory(partnership=partnership, **{state: True})
    before = assessment.events.count()

    with pytest.raises(ApplicationError, match=r"draft|already"):
        assessment_submit(assessment=assessment, by=chair)

    assert fresh(assessment).status == state
    assert assessment.events.count() == before


def test_returned_for_changes_can_be_edited_and_resubmitted(partnership, officer, chair):
    assessment = SelfAssessmentFactory(partnership=partnership, under_review=True)
    r1 = first_response(assessment)
    assessment_return(assessment=assessment, by=assessment.reviewer,
                      reasons={r1.requirement_id: "Name the partners."})
    r1.refresh_from_db()
    assert r1.return_reason == "Name the partners."

    save(r1, officer, case="The partners are A, B and C.")
    resubmitted = assessment_submit(assessment=assessment, by=chair)

    assert resubmitted.status == Status.SUBMITTED
    assert list(resubmitted.events.values_list("to_status", flat=True)) == [
        "submitted", "under_review", "draft", "submitted"]
    assert resubmitted.decisions.get().outcome == Decision.Outcome.RETURNED


def test_a_returned_assessment_can_be_reviewed_again(partnership, chair):
    assessment = SelfAssessmentFactory(partnership=partnership, under_review=True)
    reviewer = assessment.reviewer
    assessment_return(assessment=assessment, by=reviewer,
                      reasons={first_response(assessment).requirement_id: "More."})
    assessment_submit(assessment=assessment, by=chair)
    again = assessment_start_review(assessment=assessment, by=reviewer)
    assert again.status == Status.UNDER_REVIEW


def test_asking_the_chair_needs_a_complete_draft(draft, officer):
    with pytest.raises(ApplicationError, match="not ready for sign-off: R1"):
        assessment_sign_off_request(assessment=draft, by=officer)
    assert fresh(draft).sign_off_requested_at is None


def test_asking_the_chair_is_recorded_and_withdrawn_by_a_later_change(draft, officer):
    assessment_fill(draft)
    version = fresh(draft).version

    asked = assessment_sign_off_request(assessment=draft, by=officer, expected_version=version)

    assert asked.sign_off_requested_by == officer and asked.sign_off_requested_at is not None
    assert asked.version == version  # asking changes no answer: the chair's page stays current
    assert draft.changes.latest("id").action == AssessmentChange.Action.SIGN_OFF_REQUESTED
    save(first_response(draft), officer, case="A late change.")
    assert fresh(draft).sign_off_requested_at is None


@pytest.mark.parametrize("state", ["submitted", "under_review", "accredited", "deferred"])
def test_no_answer_progress_or_sign_off_request_changes_once_it_has_left_draft(state, partnership,
                                                                               officer):
    assessment = SelfAssessmentFactory(partnership=partnership, **{state: True})
    response = first_response(assessment)
    before = (response.case, response.version, fresh(assessment).version)

    with pytest.raises(ConflictError, match="so it can no longer be changed"):
        save(response, officer, case="Changed.")
    with pytest.raises(ConflictError):
        assessment_sign_off_request(assessment=assessment, by=officer)

    response.refresh_from_db()
    assert (response.case, response.version, fresh(assessment).version) == before


@pytest.mark.django_db(transaction=True)
def test_two_officers_starting_at_once_make_one_assessment(require_postgresql):
    """Both clicks land on the same assessment; answers and concerns are set up once."""
    import threading

    from django.db import connection

    partnership = PartnershipFactory()
    officers = [RoleAssignmentFactory(officer=True, partnership=partnership).user for _ in range(2)]
    SelfAssessmentFactory(partnership=partnership, deferred=True)
    cycle = CycleFactory(year_start=2003)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def start(officer):
        try:
            barrier.wait()
            results.append(assessment_start(partnership=partnership, cycle=cycle, by=officer).pk)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=(o,)) for o in officers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors and len(set(results)) == 1
    started = SelfAssessment.objects.get(pk=results[0])
    assert started.responses.count() == 3
    assert started.concern_progress.count() == 1
    assert started.changes.filter(action=AssessmentChange.Action.STARTED).count() == 1
