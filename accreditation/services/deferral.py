"""The partnership's response to a deferral, in the same cycle: its officers write the progress
made on each area of concern (with evidence) and may change the answers the Government Office
rated red or amber; the chair is asked to sign off, and signs off with the same declaration as a
submission. The assessment then goes from deferred to response received (the `respond`
transition), and the Government Office reviews it in the next review round
(docs/adr/0002-state-machine-with-django-fsm-2.md).

Every write locks the assessment row and checks, under the lock, that the round is still open:
the assessment is deferred by the decision the page was made from, and its response has not
been signed off. A page made before the round was decided gets the usual conflict message
(docs/adr/0008-concurrency-versions-and-conflicts.md). The response is created with its first
save, so reading the pages writes nothing.
"""

from typing import Any

from django.db import transaction

from core import clock
from core.errors import ApplicationError

from ..models import (
    AssessmentChange,
    ConcernResponse,
    Decision,
    DeferralResponse,
    EvidenceFile,
    Rating,
    RequirementResponse,
    SelfAssessment,
    Status,
)
from ..notifications import sign_off_request_email_record
from ..permissions import user_is_lsp_chair, user_is_lsp_officer
from ..selectors import (
    deferral_answers,
    deferral_blockers,
    deferral_decision,
    deferral_round,
)
from .drafting import (
    CASE_WORD_LIMIT,
    _change_record,
    _text_checked,
    evidence_discard,
    evidence_prepared,
    evidence_store,
)
from .transitions import (
    ConflictError,
    assessment_lock,
    assessment_transition,
    conflict_error,
    time_phrase,
)

PROGRESS_WORD_LIMIT = CASE_WORD_LIMIT


def _already_answered(response: DeferralResponse) -> ApplicationError:
    return ApplicationError(
        f"The response for review round {response.review_round} was already signed off by "
        f"{response.signed_off_by} {time_phrase(response.signed_off_at)}. A round has one "
        "response: nothing was changed."
    )


def _round_open(locked: SelfAssessment, decision_id: int | None) -> Decision:
    """The deferral the partnership is answering, checked under the assessment's lock; refuses
    with a clear message when there is nothing (or nothing more) to respond to.

    `decision_id` is the deferral the page was made from (None from code that does not come
    from a page): a different one means the round was decided meanwhile."""
    latest = deferral_decision(locked)
    posted = None
    if decision_id is not None:
        posted = locked.decisions.filter(pk=decision_id, outcome=Decision.Outcome.DEFERRED).first()
        answered = DeferralResponse.objects.filter(
            decision_id=decision_id, signed_off_at__isnull=False).select_related(
            "signed_off_by").first()
        if posted is not None and answered is not None:
            raise _already_answered(answered)
    if locked.status != Status.DEFERRED or latest is None:
        if posted is not None:
            raise conflict_error(locked)  # the page was made while the round was open
        if locked.status == Status.RESPONSE_RECEIVED and latest is not None:
            raise _already_answered(
                DeferralResponse.objects.select_related("signed_off_by").get(decision=latest))
        raise ApplicationError(
            "Only a deferred self-assessment can be responded to. This one is "
            f"{locked.get_status_display().lower()}: nothing was changed."
        )
    if decision_id is not None and latest.pk != decision_id:
        raise conflict_error(locked)
    return latest


def _response_for(locked: SelfAssessment, decision: Decision, by) -> DeferralResponse:
    """The response to `decision`, created (with a row per area of concern) at its first save."""
    response, created = DeferralResponse.objects.get_or_create(
        decision=decision,
        defaults={"assessment": locked, "review_round": decision.review_round + 1,
                  "started_by": by},
    )
    if created:
        ConcernResponse.objects.bulk_create(
            ConcernResponse(deferral_response=response, concern=c)
            for c in decision.concerns.all()
        )
    return DeferralResponse.objects.select_for_update().get(pk=response.pk)


def _response_touch(response: DeferralResponse) -> None:
    """A change makes the chair's page stale (they sign off what they saw) and withdraws any
    request to sign off."""
    response.version += 1
    response.sign_off_requested_at = None
    response.sign_off_requested_by = None
    response.save(update_fields=["version", "sign_off_requested_at", "sign_off_requested_by",
                                 "updated_at"])


def _officer_checked(assessment: SelfAssessment, by) -> None:
    if not user_is_lsp_officer(by, assessment.partnership_id):
        raise ApplicationError("Only the partnership's officers can write its response.")


def _concern_response_locked(response: DeferralResponse, concern_id: int) -> ConcernResponse:
    current = (ConcernResponse.objects.select_for_update().select_related("concern__requirement")
               .filter(deferral_response=response, concern_id=concern_id).first())
    if current is None:
        raise ApplicationError("That area of concern is not part of this deferral.")
    return current


@transaction.atomic
def deferral_progress_save(
    *, assessment: SelfAssessment, concern_id: int, by, text: str, expected_version: int,
    decision_id: int | None = None, at=None,
) -> ConcernResponse:
    """Save the progress the partnership has made on one area of concern of the deferral.

    `expected_version` is the progress report's version when the page was loaded (0 before it
    was first saved). If it has changed since, the save is refused with ConflictError, unless
    what was sent is what is already saved (a form sent twice), which does nothing."""
    text = _text_checked(text, field="progress", label="The progress made",
                         words=PROGRESS_WORD_LIMIT)
    locked = assessment_lock(assessment, None)
    _officer_checked(locked, by)
    decision = _round_open(locked, decision_id)
    response = _response_for(locked, decision, by)
    current = _concern_response_locked(response, concern_id)
    if current.progress == text:
        return current
    # A page made before the first save carries 0; the row starts at version 1, empty.
    if current.version != max(expected_version, 1):
        who = f" by {current.updated_by}" if current.updated_by else ""
        raise ConflictError(
            f"The progress on {current.concern.requirement.code} was changed{who} "
            f"{time_phrase(current.updated_at)}, after you opened the page. What you entered has "
            "not been saved: copy your text, then reload the page to see the latest version."
        )
    changes = {"progress": [current.progress, text], "_subject": f"deferral-concern-{current.pk}"}
    current.progress = text
    current.updated_by = by
    current.version += 1
    current.save(update_fields=["progress", "updated_by", "version", "updated_at"])
    _response_touch(response)
    _change_record(
        assessment=locked, action=AssessmentChange.Action.PROGRESS_SAVED, by=by,
        requirement=current.concern.requirement, changes=changes, at=at,
        summary=(f"Response for review round {response.review_round}: progress on "
                 f"{current.concern.requirement.code} saved"),
    )
    return current


def deferral_evidence_attach(
    *, assessment: SelfAssessment, concern_id: int, by, upload, decision_id: int | None = None,
    at=None,
) -> EvidenceFile:
    """Attach a file to the progress on one area of concern: the same checks and the same
    50 MB for the whole assessment as a requirement's evidence."""
    kind, name = evidence_prepared(upload)
    with transaction.atomic():
        locked = assessment_lock(assessment, None)
        _officer_checked(locked, by)
        decision = _round_open(locked, decision_id)
        response = _response_for(locked, decision, by)
        current = _concern_response_locked(response, concern_id)

        def recorded(record: EvidenceFile) -> None:
            _response_touch(response)
            _change_record(
                assessment=locked, action=AssessmentChange.Action.EVIDENCE_ADDED, by=by,
                requirement=current.concern.requirement, at=at,
                summary=(f"Response for review round {response.review_round}: "
                         f"{current.concern.requirement.code} evidence added: {name}"),
            )

        return evidence_store(assessment=locked, by=by, upload=upload, kind=kind, name=name,
                              at=at, after_save=recorded, concern_response=current)


@transaction.atomic
def deferral_evidence_remove(
    *, evidence: EvidenceFile, by, decision_id: int | None = None, at=None,
) -> None:
    """Remove a file from the progress on an area of concern, while the response is open."""
    owner = ConcernResponse.objects.select_related(
        "deferral_response__assessment", "concern__requirement").get(
        pk=evidence.concern_response_id or 0)
    locked = assessment_lock(owner.deferral_response.assessment, None)
    _officer_checked(locked, by)
    decision = _round_open(locked, decision_id)
    if owner.deferral_response.decision_id != decision.pk:
        raise conflict_error(locked)
    record = EvidenceFile.objects.filter(pk=evidence.pk, concern_response=owner).first()
    if record is None:
        return  # already removed (a form sent twice): nothing more to do
    response = DeferralResponse.objects.select_for_update().get(pk=owner.deferral_response_id)
    evidence_discard(record)
    _response_touch(response)
    _change_record(
        assessment=locked, action=AssessmentChange.Action.EVIDENCE_REMOVED, by=by,
        requirement=owner.concern.requirement, at=at,
        summary=(f"Response for review round {response.review_round}: "
                 f"{owner.concern.requirement.code} evidence removed: {record.original_name}"),
    )


@transaction.atomic
def deferral_answer_save(
    *, answer: RequirementResponse, by, self_rating: str, case: str, expected_version: int,
    decision_id: int | None = None, at=None,
) -> RequirementResponse:
    """Change an answer the Government Office rated red or amber, as part of the response."""
    self_rating = self_rating or ""
    if self_rating not in ("", *Rating.values):
        raise ApplicationError("Select red, amber or green", extra={"field": "self_rating"})
    case = _text_checked(case, field="case", label="Your case", words=CASE_WORD_LIMIT)
    locked = assessment_lock(answer.assessment, None)
    _officer_checked(locked, by)
    decision = _round_open(locked, decision_id)
    if answer.pk not in {a.pk for a in deferral_answers(locked, decision)}:
        raise ApplicationError(
            "Only the answers the Government Office rated red or amber can be changed in the "
            "response: nothing was changed."
        )
    current = (RequirementResponse.objects.select_for_update().select_related("requirement")
               .get(pk=answer.pk, assessment=locked))
    changes: dict[str, Any] = {name: [before, after] for name, before, after in (
        ("self_rating", current.self_rating, self_rating), ("case", current.case, case))
        if before != after}
    if not changes:
        return current
    if current.version != expected_version:
        raise ConflictError(
            f"This answer was changed {time_phrase(current.updated_at)}, after you opened the "
            "page. What you entered has not been saved: copy your text, then reload the page to "
            "see the latest version."
        )
    current.self_rating = self_rating
    current.case = case
    current.version += 1
    current.save(update_fields=["self_rating", "case", "version", "updated_at"])
    response = _response_for(locked, decision, by)
    _response_touch(response)
    changes["_subject"] = f"deferral-answer-{current.pk}"
    _change_record(
        assessment=locked, action=AssessmentChange.Action.RESPONSE_SAVED, by=by,
        requirement=current.requirement, changes=changes, at=at,
        summary=(f"Response for review round {response.review_round}: "
                 f"{current.requirement.code} answer changed"),
    )
    return current


def _ready_checked(locked: SelfAssessment, decision: Decision, what: str) -> None:
    current_round = deferral_round(locked, decision=decision)
    assert current_round is not None  # the round is open (_round_open)
    blockers = deferral_blockers(current_round)
    if blockers:
        raise ApplicationError(
            f"The response is not ready {what}: " + "; ".join(b.message for b in blockers) + ".",
            extra={"blockers": blockers},
        )


def _version_checked(locked: SelfAssessment, response: DeferralResponse | None,
                     expected_version: int | None) -> None:
    current = response.version if response else 0
    if expected_version is not None and current != expected_version:
        raise ConflictError(
            f"{locked.partnership.local_authority.name}'s response changed after you opened the "
            "page. Nothing was applied: read it again below, then try again."
        )


@transaction.atomic
def deferral_sign_off_request(
    *, assessment: SelfAssessment, by, expected_version: int | None = None,
    decision_id: int | None = None, at=None,
) -> DeferralResponse:
    """An officer has checked the response and asks the chair to sign it off; the chair is
    emailed once this is committed."""
    locked = assessment_lock(assessment, None)
    _officer_checked(locked, by)
    decision = _round_open(locked, decision_id)
    existing = DeferralResponse.objects.select_for_update().filter(decision=decision).first()
    _version_checked(locked, existing, expected_version)
    _ready_checked(locked, decision, "for the chair to sign off")
    assert existing is not None  # a response that is ready exists
    response = existing
    response.sign_off_requested_at = at or clock.now()
    response.sign_off_requested_by = by
    response.save(update_fields=["sign_off_requested_at", "sign_off_requested_by", "updated_at"])
    _change_record(
        assessment=locked, action=AssessmentChange.Action.SIGN_OFF_REQUESTED, by=by, at=at,
        summary=(f"Response for review round {response.review_round} checked; the chair was "
                 "asked to sign off"),
    )
    sign_off_request_email_record(response=response)
    return response


@transaction.atomic
def deferral_sign_off(
    *, assessment: SelfAssessment, by, expected_version: int | None = None,
    decision_id: int | None = None, at=None,
) -> SelfAssessment:
    """The chair signs off the response with the submission's declaration; it goes to the
    Government Office as "Response received" for the next review round. The assessment's
    funding state is untouched: a response moves no money."""
    locked = assessment_lock(assessment, None)
    if not user_is_lsp_chair(by, locked.partnership_id):
        raise ApplicationError(
            f"Only the chair of {locked.partnership.name} can sign off its response: nothing "
            "was changed."
        )
    decision = _round_open(locked, decision_id)
    response = DeferralResponse.objects.select_for_update().filter(decision=decision).first()
    _version_checked(locked, response, expected_version)
    _ready_checked(locked, decision, "to sign off")
    assert response is not None  # a response that is ready exists
    now = at or clock.now()

    def stamp(a: SelfAssessment) -> None:
        response.signed_off_at = now
        response.signed_off_by = by
        response.save(update_fields=["signed_off_at", "signed_off_by", "updated_at"])

    signed, _ = assessment_transition(
        assessment=locked, by=by, transition=lambda a: a.respond,
        refusal="Only a deferred self-assessment can be responded to.", expected_version=None,
        reason=(f"The chair signed off the response to the areas of concern for review round "
                f"{response.review_round}"),
        at=now, before_change=stamp,
    )
    return signed
