"""The deferred partnership's way back, in the same cycle: the officers write a response to the
areas of concern, the chair signs it off, the Government Office reviews it in the next round and
accredits, accredits with areas of concern or defers again. After every transition the ledger of
Walsall's NRF 2002/03 is checked: a response moves no money; accreditation releases the held
third; a further deferral keeps it held."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accreditation import evidence
from accreditation.letters import funding_effects, letter_compose, letter_writer
from accreditation.models import (
    AccreditationEvent,
    AssessmentChange,
    ConcernResponse,
    Decision,
    DeferralResponse,
    EvidenceFile,
    FundingState,
    Rating,
    StakeholderView,
    Status,
)
from accreditation.notifications import review_reminders_send
from accreditation.review_selectors import review_queue
from accreditation.selectors import (
    assessment_timeline,
    changes_since,
    deferral_round,
    evidence_visible_to,
)
from accreditation.services.decisions import Concern, assessment_accredit, assessment_defer
from accreditation.services.deferral import (
    deferral_answer_save,
    deferral_evidence_attach,
    deferral_evidence_remove,
    deferral_progress_save,
    deferral_sign_off,
    deferral_sign_off_request,
)
from accreditation.services.review import (
    assessment_return,
    assessment_start_review,
    stakeholder_view_record,
)
from accreditation.services.transitions import ConflictError
from core.errors import ApplicationError
from funding.models import RecomputeRequest
from partnerships.models import Sector
from tests.factories import RoleAssignmentFactory, SelfAssessmentFactory

from .deferral_world import (
    ACCREDITED_MONEY,
    DEFERRED_MONEY,
    REVIEW_ON,
    community_member,
    deferred_walsall_settled,
    pdf_upload,
)

pytestmark = pytest.mark.django_db

NEXT_REVIEW = dt.date(2002, 6, 27)


@pytest.fixture
def walsall():
    world = deferred_walsall_settled()
    assert world.money() == DEFERRED_MONEY
    return world


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service and what it hands over on commit (the recompute, the emails)."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def write_response(w, committed, *, file=True):
    """The officer writes progress on both areas of concern (with a file on R1) and changes the
    red R1 answer; returns the response."""
    d = w.decision.pk
    for concern, text in ((w.r1_concern, "The board agreed its role on 12 March."),
                          (w.r2_concern, "Two community representatives joined the board.")):
        committed(deferral_progress_save, assessment=w.assessment(), concern_id=concern.pk,
                  by=w.officer, text=text, expected_version=0, decision_id=d)
    if file:
        committed(deferral_evidence_attach, assessment=w.assessment(),
                  concern_id=w.r1_concern.pk, by=w.officer, upload=pdf_upload(), decision_id=d)
    r1 = w.answer("R1")
    committed(deferral_answer_save, answer=r1, by=w.officer, self_rating=Rating.AMBER,
              case="The board now has an agreed role and terms of reference.",
              expected_version=r1.version, decision_id=d)
    return DeferralResponse.objects.get(decision=w.decision)


def sign_off(w, committed):
    response = DeferralResponse.objects.get(decision=w.decision)
    committed(deferral_sign_off_request, assessment=w.assessment(), by=w.officer,
              expected_version=response.version, decision_id=w.decision.pk)
    response.refresh_from_db()
    return committed(deferral_sign_off, assessment=w.assessment(), by=w.chair,
                     expected_version=response.version, decision_id=w.decision.pk)


def letter(w, funding_state):
    return letter_writer(effects=funding_effects(assessment=w.assessment(),
                                                 funding_state=funding_state))


def recompute_owed_for(event) -> bool:
    return RecomputeRequest.objects.filter(cause=RecomputeRequest.Cause.EVENT,
                                           cause_id=event.pk).exists()


# --- Every transition of the review round, with the ledger after each ---------------------------


def test_respond_sign_off_review_and_accredit_releasing_the_held_money(walsall, committed,
                                                                       mailoutbox):
    w = walsall
    response = write_response(w, committed)
    # Writing the response changes neither the status nor the money.
    assert (w.assessment().status, w.money()) == (Status.DEFERRED, DEFERRED_MONEY)
    assert response.review_round == 2
    assert [c.progress[:9] for c in response.concern_responses.all()] == ["The board", "Two commu"]

    mailoutbox.clear()
    committed(deferral_sign_off_request, assessment=w.assessment(), by=w.officer,
              expected_version=response.version, decision_id=w.decision.pk)
    (asked,) = mailoutbox
    assert asked.to == ["chair@walsall.lsp.example"]
    assert "Sign off the response" in asked.subject

    mailoutbox.clear()
    version = w.assessment().version
    response.refresh_from_db()
    signed = committed(deferral_sign_off, assessment=w.assessment(), by=w.chair,
                       expected_version=response.version, decision_id=w.decision.pk)
    assert (signed.status, signed.funding_state, signed.version) == (
        Status.RESPONSE_RECEIVED, FundingState.DEFERRED, version + 1)
    event = AccreditationEvent.objects.filter(assessment_id=w.pk).latest("id")
    assert (event.from_status, event.to_status, event.by) == (
        Status.DEFERRED, Status.RESPONSE_RECEIVED, w.chair)
    assert recompute_owed_for(event)  # owed and done: a response moves no money
    assert w.money() == DEFERRED_MONEY
    response.refresh_from_db()
    assert (response.signed_off_by, response.signed_off_at is not None) == (w.chair, True)
    (told,) = mailoutbox
    assert told.to == ["reviewer@west-midlands.go.example"]
    assert "Response received" in told.subject and "review round 2" in told.body

    started = committed(assessment_start_review, assessment=w.assessment(), by=w.reviewer,
                        today=REVIEW_ON)
    assert (started.status, started.review_round) == (Status.UNDER_REVIEW, 2)
    assert w.money() == DEFERRED_MONEY

    mailoutbox.clear()
    accredited = committed(assessment_accredit, assessment=w.assessment(), by=w.reviewer,
                           letter=letter(w, FundingState.ACCREDITED))
    assert (accredited.status, accredited.funding_state) == (Status.ACCREDITED,
                                                             FundingState.ACCREDITED)
    assert w.money() == ACCREDITED_MONEY
    decision = accredited.decisions.latest("id")
    assert decision.review_round == 2
    assert "This letter closes review round 2." in decision.letter
    assert "your response to the areas of concern set out in our letter of 28 February 2002" in (
        decision.letter)
    assert [m.to for m in mailoutbox] == [["chair@walsall.lsp.example",
                                           "officer@walsall.lsp.example"]]


def test_review_round_ends_in_accreditation_with_areas_of_concern(walsall, committed):
    w = walsall
    write_response(w, committed)
    sign_off(w, committed)
    committed(assessment_start_review, assessment=w.assessment(), by=w.reviewer, today=REVIEW_ON)
    r3 = w.assessment().cycle.requirements.get(code="R3")
    a = committed(assessment_accredit, assessment=w.assessment(), by=w.reviewer,
                  concerns=[Concern(requirement=r3, concern="Targets are thin.",
                                    action_required="Set targets for each theme.")],
                  letter=letter(w, FundingState.ACCREDITED))
    decision = a.decisions.latest("id")
    assert (a.status, decision.outcome, decision.review_round) == (
        Status.ACCREDITED, Decision.Outcome.ACCREDITED_WITH_CONCERNS, 2)
    assert [c.requirement.code for c in decision.concerns.all()] == ["R3"]
    assert w.money() == ACCREDITED_MONEY


def test_review_round_ends_in_a_further_deferral_with_new_actions_and_the_hold_stays(
        walsall, committed):
    w = walsall
    write_response(w, committed)
    sign_off(w, committed)
    committed(assessment_start_review, assessment=w.assessment(), by=w.reviewer, today=REVIEW_ON)
    r2 = w.assessment().cycle.requirements.get(code="R2")
    entries_before = w.allocation.entries.count()
    a = committed(assessment_defer, assessment=w.assessment(), by=w.reviewer,
                  review_date=NEXT_REVIEW, on=dt.date(2002, 3, 29),
                  concerns=[Concern(requirement=r2, concern="Representatives not yet elected.",
                                    action_required="Hold the elections.")],
                  letter=letter(w, FundingState.DEFERRED))
    assert (a.status, a.funding_state, a.review_date, a.review_round) == (
        Status.DEFERRED, FundingState.DEFERRED, NEXT_REVIEW, 2)
    assert w.money() == DEFERRED_MONEY
    assert w.allocation.entries.count() == entries_before  # nothing moved
    second = a.decisions.latest("id")
    assert "remains deferred pending a further review" in second.letter
    assert "This letter closes review round 2." in second.letter

    # The new round has its own response, to the new actions; the first stays as it was.
    upcoming = deferral_round(a)
    assert (upcoming.decision, upcoming.review_round, upcoming.response) == (second, 3, None)
    assert [i.concern.action_required for i in upcoming.items] == ["Hold the elections."]
    first = deferral_round(a, review_round=2)
    assert first.is_signed_off and first.items[0].progress.startswith("The board agreed")
    committed(deferral_progress_save, assessment=a, concern_id=upcoming.items[0].concern.pk,
              by=w.officer, text="The elections are on 2 May.", expected_version=0,
              decision_id=second.pk)
    assert DeferralResponse.objects.filter(assessment_id=w.pk).count() == 2

    titles = [e.title for e in assessment_timeline(a)]
    assert "Review round 2 started by the Government Office" in titles
    assert ("Response to the areas of concern signed off by the chair and sent for review "
            "round 2") in titles
    assert "Accreditation deferred (review round 1)" in titles
    assert "Accreditation deferred (review round 2)" in titles


def test_the_reviewer_may_decide_without_a_response(walsall, committed):
    w = walsall
    committed(deferral_progress_save, assessment=w.assessment(), concern_id=w.r1_concern.pk,
              by=w.officer, text="Half written", expected_version=0, decision_id=w.decision.pk)
    started = committed(assessment_start_review, assessment=w.assessment(), by=w.reviewer,
                        today=REVIEW_ON)
    assert (started.status, started.review_round) == (Status.UNDER_REVIEW, 2)
    reviewing = deferral_round(started, review_round=2)
    assert not reviewing.is_signed_off and not reviewing.is_open
    a = committed(assessment_accredit, assessment=started, by=w.reviewer,
                  letter=letter(w, FundingState.ACCREDITED))
    assert "we received no response to them" in a.decisions.latest("id").letter
    assert w.money() == ACCREDITED_MONEY
    # The draft can no longer be sent: the round was decided.
    with pytest.raises(ConflictError, match="already accredited"):
        deferral_progress_save(assessment=a, concern_id=w.r1_concern.pk, by=w.officer,
                               text="Finished now", expected_version=2, decision_id=w.decision.pk)


def test_a_deferred_assessment_is_not_reviewed_before_its_date_with_or_without_a_response(
        walsall, committed):
    w = walsall
    write_response(w, committed)
    sign_off(w, committed)
    with pytest.raises(ApplicationError, match="before its review date, 28 March 2002"):
        assessment_start_review(assessment=w.assessment(), by=w.reviewer,
                                today=dt.date(2002, 3, 27))
    assert w.assessment().status == Status.RESPONSE_RECEIVED


def test_a_review_after_a_deferral_cannot_be_returned_for_changes(walsall, committed):
    w = walsall
    a = committed(assessment_start_review, assessment=w.assessment(), by=w.reviewer,
                  today=REVIEW_ON)
    r1 = a.cycle.requirements.get(code="R1")
    with pytest.raises(ApplicationError, match="cannot be returned for changes"):
        assessment_return(assessment=a, by=w.reviewer, reasons={r1.pk: "Say more."})
    assert w.assessment().status == Status.UNDER_REVIEW


def test_letters_say_which_round_they_close_and_a_return_closes_none(walsall):
    w = walsall
    assert "This letter closes review round 1." in letter_compose(w.decision, effects=[])
    a = SelfAssessmentFactory(under_review=True)
    reviewer = a.reviewer
    first = a.cycle.requirements.order_by("order").first()
    returned = assessment_return(assessment=a, by=reviewer, reasons={first.pk: "Say more."},
                                 letter=letter_writer(effects=[]))
    letter_text = returned.decisions.get().letter
    assert "We are returning" in letter_text and "closes review round" not in letter_text


# --- What the response shows ---------------------------------------------------------------------


def test_what_has_changed_since_the_deferral_answers_and_membership(walsall, committed):
    w = walsall
    assert changes_since(w.decision).nothing
    write_response(w, committed, file=False)
    community_member(w)
    changes = changes_since(w.decision)
    (answer,) = changes.answers
    assert (answer.code, answer.rating_before, answer.rating_after) == ("R1", "green", "amber")
    assert answer.case_after.startswith("The board now has an agreed role")
    assert changes.members == ["Joined: Walsall Community Empowerment Network (community sector, "
                               "represented by B. Elected)"]


def test_only_answers_the_government_office_rated_red_or_amber_can_change(walsall):
    w = walsall
    r3 = w.answer("R3")
    with pytest.raises(ApplicationError, match="rated red or amber"):
        deferral_answer_save(answer=r3, by=w.officer, self_rating="green", case="New",
                             expected_version=r3.version, decision_id=w.decision.pk)
    # R2: the Government Office agreed with the partnership's amber.
    r2 = w.answer("R2")
    saved = deferral_answer_save(answer=r2, by=w.officer, self_rating="green",
                                 case="Elected representatives joined.",
                                 expected_version=r2.version, decision_id=w.decision.pk)
    assert saved.self_rating == "green"


def test_stakeholder_views_take_the_round_they_were_given_in(walsall, committed):
    w = walsall
    committed(assessment_start_review, assessment=w.assessment(), by=w.reviewer, today=REVIEW_ON)
    view = stakeholder_view_record(
        assessment=w.assessment(), by=w.reviewer, organisation="Walsall Community Network",
        sector=Sector.COMMUNITY, stance=StakeholderView.Stance.SUPPORTS,
        comment="We are on the board now.", given_on=REVIEW_ON)
    assert view.review_round == 2


def test_the_queue_shows_review_dates_days_to_go_and_whether_a_response_arrived(
        walsall, committed):
    w = walsall
    queue = review_queue(user=w.reviewer, cycle=w.assessment().cycle, today=dt.date(2002, 3, 18))
    (deferred,) = queue.deferred
    assert (deferred.timing, deferred.due, deferred.response_on) == ("10 days to go", False, None)
    row = next(r for r in queue.rows if r.partnership == w.partnership)
    assert (row.key, row.timing, row.response_on) == ("deferred", "10 days to go", None)

    write_response(w, committed)
    sign_off(w, committed)
    queue = review_queue(user=w.reviewer, cycle=w.assessment().cycle, today=dt.date(2002, 3, 31))
    (deferred,) = queue.deferred
    assert (deferred.timing, deferred.due) == ("overdue by 3 days", True)
    assert deferred.response_on is not None
    row = next(r for r in queue.rows if r.partnership == w.partnership)
    assert (row.key, row.label, row.timing) == ("review_due", "Review due", "overdue by 3 days")


def test_the_reviewer_is_reminded_saying_whether_a_response_arrived(walsall, committed,
                                                                     mailoutbox):
    w = walsall
    mailoutbox.clear()
    assert committed(review_reminders_send, today=REVIEW_ON - dt.timedelta(days=7)) == 1
    assert "No response to the areas of concern has arrived yet" in mailoutbox[0].body
    write_response(w, committed)
    sign_off(w, committed)
    mailoutbox.clear()
    assert committed(review_reminders_send, today=REVIEW_ON) == 1
    assert mailoutbox[0].to == ["reviewer@west-midlands.go.example"]
    assert "due for review today. Its response to the areas of concern has arrived" in (
        mailoutbox[0].body)


def test_evidence_of_a_draft_response_is_the_partnerships_own_until_signed_off(walsall,
                                                                               committed):
    w = walsall
    write_response(w, committed)
    record = EvidenceFile.objects.get(concern_response__deferral_response__assessment_id=w.pk)
    assert record.original_name == "board-minutes.pdf"
    assert evidence_visible_to(w.officer).filter(pk=record.pk).exists()
    assert evidence_visible_to(w.chair).filter(pk=record.pk).exists()
    assert not evidence_visible_to(w.reviewer).filter(pk=record.pk).exists()
    assert not evidence_visible_to(w.other_officer).filter(pk=record.pk).exists()
    sign_off(w, committed)
    assert evidence_visible_to(w.reviewer).filter(pk=record.pk).exists()
    assert not evidence_visible_to(w.other_officer).filter(pk=record.pk).exists()


def test_evidence_has_the_same_rules_as_a_requirements_and_can_be_removed(walsall, committed):
    w = walsall
    bad = SimpleUploadedFile("minutes.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ApplicationError, match=f"must be {evidence.ALLOWED_DESCRIPTION}"):
        deferral_evidence_attach(assessment=w.assessment(), concern_id=w.r1_concern.pk,
                                 by=w.officer, upload=bad, decision_id=w.decision.pk)
    assert not EvidenceFile.objects.exists()
    attached = deferral_evidence_attach(assessment=w.assessment(), concern_id=w.r1_concern.pk,
                                        by=w.officer, upload=pdf_upload("minutes.pdf"),
                                        decision_id=w.decision.pk)
    committed(deferral_evidence_remove, evidence=attached, by=w.officer,
              decision_id=w.decision.pk)
    assert not EvidenceFile.objects.exists()
    assert AssessmentChange.objects.filter(
        assessment_id=w.pk, summary__endswith="R1 evidence removed: minutes.pdf").exists()


# --- Bad input: refused with a clear message, nothing written ------------------------------------


def written(w) -> tuple:
    return (DeferralResponse.objects.count(), ConcernResponse.objects.count(),
            AssessmentChange.objects.filter(assessment_id=w.pk).count(),
            AccreditationEvent.objects.filter(assessment_id=w.pk).count(),
            EvidenceFile.objects.count(), w.assessment().status)


@pytest.mark.parametrize("state", ["draft", "submitted", "under_review", "accredited"])
def test_a_response_on_an_assessment_that_is_not_deferred_is_refused(state):
    a = SelfAssessmentFactory(state="filled" if state == "draft" else state)
    officer = RoleAssignmentFactory(officer=True, partnership=a.partnership).user
    concern_id = 1
    with pytest.raises(ApplicationError, match="Only a deferred self-assessment can be responded to"):
        deferral_progress_save(assessment=a, concern_id=concern_id, by=officer, text="Progress",
                               expected_version=0)
    assert not DeferralResponse.objects.exists()


def test_a_second_response_for_a_round_already_answered_is_refused(walsall, committed):
    w = walsall
    write_response(w, committed)
    sign_off(w, committed)
    before = written(w)
    message = r"The response for review round 2 was already signed off by .* A round has one response"
    with pytest.raises(ApplicationError, match=message):
        deferral_progress_save(assessment=w.assessment(), concern_id=w.r1_concern.pk,
                               by=w.officer, text="More", expected_version=2,
                               decision_id=w.decision.pk)
    with pytest.raises(ApplicationError, match=message):
        deferral_sign_off(assessment=w.assessment(), by=w.chair, decision_id=w.decision.pk)
    with pytest.raises(ApplicationError, match=message):  # from code, without a page
        deferral_progress_save(assessment=w.assessment(), concern_id=w.r1_concern.pk,
                               by=w.officer, text="More", expected_version=2)
    assert written(w) == before


def test_a_response_from_another_partnership_is_refused(walsall):
    w = walsall
    with pytest.raises(ApplicationError, match="Only the partnership's officers"):
        deferral_progress_save(assessment=w.assessment(), concern_id=w.r1_concern.pk,
                               by=w.other_officer, text="Not ours", expected_version=0,
                               decision_id=w.decision.pk)
    assert not DeferralResponse.objects.exists()


def test_a_sign_off_by_someone_who_is_not_the_chair_is_refused(walsall, committed):
    w = walsall
    write_response(w, committed)
    before = written(w)
    for who in (w.officer, w.reviewer, w.other_officer):
        with pytest.raises(ApplicationError, match="Only the chair of Walsall LSP can sign off"):
            deferral_sign_off(assessment=w.assessment(), by=who, decision_id=w.decision.pk)
    assert written(w) == before


def test_a_sign_off_before_every_concern_has_progress_is_refused(walsall, committed):
    w = walsall
    committed(deferral_progress_save, assessment=w.assessment(), concern_id=w.r1_concern.pk,
              by=w.officer, text="Done", expected_version=0, decision_id=w.decision.pk)
    before = written(w)
    with pytest.raises(ApplicationError, match="Write the progress made on R2"):
        deferral_sign_off(assessment=w.assessment(), by=w.chair, decision_id=w.decision.pk)
    with pytest.raises(ApplicationError, match="Write the progress made on R2"):
        deferral_sign_off_request(assessment=w.assessment(), by=w.officer,
                                  decision_id=w.decision.pk)
    assert written(w) == before


def test_a_page_made_before_the_round_was_decided_gets_the_conflict_message(walsall, committed):
    w = walsall
    page_decision = w.decision.pk  # the officer opened the page while deferred in round 1
    committed(assessment_start_review, assessment=w.assessment(), by=w.reviewer, today=REVIEW_ON)
    r1 = w.assessment().cycle.requirements.get(code="R1")
    committed(assessment_defer, assessment=w.assessment(), by=w.reviewer, review_date=NEXT_REVIEW,
              on=dt.date(2002, 3, 29),
              concerns=[Concern(requirement=r1, concern="Still no role.",
                                action_required="Agree it.")])
    before = written(w)
    with pytest.raises(ConflictError, match=r"Walsall was already deferred by .* nothing you entered"):
        deferral_progress_save(assessment=w.assessment(), concern_id=w.r1_concern.pk,
                               by=w.officer, text="Old page", expected_version=0,
                               decision_id=page_decision)
    assert written(w) == before


def test_a_stale_progress_report_or_sign_off_is_refused(walsall, committed):
    w = walsall
    colleague = RoleAssignmentFactory(officer=True, partnership=w.partnership).user
    committed(deferral_progress_save, assessment=w.assessment(), concern_id=w.r1_concern.pk,
              by=colleague, text="The colleague's text", expected_version=0,
              decision_id=w.decision.pk)
    with pytest.raises(ConflictError, match="The progress on R1 was changed by"):
        deferral_progress_save(assessment=w.assessment(), concern_id=w.r1_concern.pk,
                               by=w.officer, text="My text", expected_version=0,
                               decision_id=w.decision.pk)
    # The same text again (a form sent twice) is no conflict and no change.
    same = deferral_progress_save(assessment=w.assessment(), concern_id=w.r1_concern.pk,
                                  by=w.officer, text="The colleague's text", expected_version=0,
                                  decision_id=w.decision.pk)
    assert same.version == 2
    committed(deferral_progress_save, assessment=w.assessment(), concern_id=w.r2_concern.pk,
              by=w.officer, text="Done", expected_version=0, decision_id=w.decision.pk)
    seen = DeferralResponse.objects.get(decision=w.decision).version
    committed(deferral_progress_save, assessment=w.assessment(), concern_id=w.r2_concern.pk,
              by=w.officer, text="Done, and more", expected_version=2, decision_id=w.decision.pk)
    with pytest.raises(ConflictError, match="response changed after you opened the page"):
        deferral_sign_off(assessment=w.assessment(), by=w.chair, expected_version=seen,
                          decision_id=w.decision.pk)
    assert w.assessment().status == Status.DEFERRED
