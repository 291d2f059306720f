"""The partnership's writes: its officers start a self-assessment, save answers, attach
evidence, note how missing sectors are addressed and report progress on last cycle's areas of
concern, then ask the chair to sign off; the chair signs off and submits.

Every change to a draft locks the assessment row first, so it is ordered against submission
(a save that loses that race is refused, never applied to a submitted assessment). Each change
is recorded in the assessment's history (AssessmentChange)."""

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction

from core import clock
from core.errors import ApplicationError
from partnerships.models import Partnership

from ..models import (
    AssessmentChange,
    ConcernProgress,
    Cycle,
    Decision,
    EvidenceFile,
    Rating,
    Requirement,
    RequirementResponse,
    SelfAssessment,
    Status,
)
from ..selectors import (
    answer_needs_check,
    assessment_evidence_bytes,
    assessment_submission_blockers,
)
from .transitions import ConflictError, assessment_lock, assessment_transition, time_phrase

CASE_WORD_LIMIT = 500
NOTE_WORD_LIMIT = 300
# A hard stop for text that has few spaces (a pasted table, or a deliberate attack).
TEXT_CHARACTER_LIMIT = 10_000
# Saves by the same person to the same answer within this window are one entry in the history:
# autosave posts every few seconds while someone types.
HISTORY_COALESCE_WINDOW = timedelta(minutes=10)


def word_count(text: str) -> int:
    """Words as the GOV.UK character count component counts them: runs of non-space."""
    return len(text.split())


def _text_checked(text: str | None, *, field: str, label: str, words: int) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > TEXT_CHARACTER_LIMIT:
        raise ApplicationError(
            f"{label} must be {TEXT_CHARACTER_LIMIT:,} characters or fewer", extra={"field": field}
        )
    count = word_count(text)
    if count > words:
        raise ApplicationError(
            f"{label} must be {words} words or fewer (it is {count} words)", extra={"field": field}
        )
    return text


def _draft_locked(assessment: SelfAssessment, expected_version: int | None = None) -> SelfAssessment:
    """Lock the assessment and check the partnership may still change it."""
    locked = assessment_lock(assessment, expected_version)
    if not locked.is_editable_by_lsp:
        last = locked.events.order_by("-at", "-id").first()
        how = (f" by {last.actor_label} {time_phrase(last.at)}"
               if last and last.to_status == locked.status else "")
        verb = {Status.SUBMITTED: "submitted", Status.UNDER_REVIEW: "taken for review"}.get(
            locked.status, locked.get_status_display().lower())
        raise ConflictError(
            f"This self-assessment was {verb}{how}, so it can no longer be changed. Nothing you "
            "entered was saved: copy any text you need before you leave the page."
        )
    return locked


def _draft_touch(assessment: SelfAssessment, *fields: str) -> None:
    """A change to a draft makes pages loaded before it stale (the chair must sign off what
    they saw) and withdraws any request to the chair to sign off."""
    assessment.version += 1
    assessment.sign_off_requested_at = None
    assessment.sign_off_requested_by = None
    assessment.save(update_fields=[
        "version", "sign_off_requested_at", "sign_off_requested_by", "updated_at", *fields,
    ])


def _change_summary(requirement: Requirement | None, changes: dict) -> str:
    parts = []
    for field, value in changes.items():
        if field.startswith("_"):
            continue
        before, after = value
        if field == "self_rating":
            parts.append(f"rating {before or 'not given'} → {after or 'not given'}")
        elif field == "case":
            parts.append(f"case edited ({word_count(before)} → {word_count(after)} words)")
        elif field == "inclusiveness_note":
            parts.append("note on missing sectors edited")
        elif field == "progress":
            parts.append(f"progress edited ({word_count(before)} → {word_count(after)} words)")
    prefix = f"{requirement.code} answer saved" if requirement else "Saved"
    return f"{prefix}: {'; '.join(parts)}" if parts else f"{prefix}: no net change"


def _change_record(
    *, assessment: SelfAssessment, action: str, by, requirement: Requirement | None = None,
    changes: dict | None = None, summary: str | None = None, at=None,
) -> AssessmentChange:
    """Append to the assessment's history; consecutive saves of one answer by one person within
    the coalescing window update the last entry (first 'before', latest 'after')."""
    at = at or clock.now()
    changes = changes or {}
    if action in (AssessmentChange.Action.RESPONSE_SAVED, AssessmentChange.Action.PROGRESS_SAVED):
        last = assessment.changes.order_by("-at", "-id").first()
        if (
            last is not None and last.action == action and last.by_id == getattr(by, "pk", None)
            and last.requirement_id == getattr(requirement, "pk", None)
            and last.changes.get("_subject") == changes.get("_subject")
            and at - last.at <= HISTORY_COALESCE_WINDOW
        ):
            merged: dict[str, Any] = {}
            for field in {**last.changes, **changes}:
                if field.startswith("_"):
                    continue
                before = (last.changes.get(field) or changes[field])[0]
                after = (changes.get(field) or last.changes[field])[1]
                if before != after:
                    merged[field] = [before, after]
            merged["_subject"] = changes.get("_subject")
            last.changes = merged
            last.at = at
            last.summary = summary or _change_summary(
                requirement, merged)
            last.save(update_fields=["changes", "at", "summary"])
            return last
    return AssessmentChange.objects.create(
        assessment=assessment, action=action, by=by, requirement=requirement, at=at,
        changes=changes,
        summary=summary or _change_summary(requirement, changes),
    )


def assessment_get_or_create(*, partnership: Partnership, cycle: Cycle) -> SelfAssessment:
    """The partnership's assessment for the cycle, with one response per requirement."""
    with transaction.atomic():
        assessment, _ = SelfAssessment.objects.get_or_create(partnership=partnership, cycle=cycle)
        existing = set(assessment.responses.values_list("requirement_id", flat=True))
        RequirementResponse.objects.bulk_create(
            RequirementResponse(assessment=assessment, requirement=r)
            for r in cycle.requirements.all()
            if r.pk not in existing
        )
    return assessment


def assessment_start(*, partnership: Partnership, cycle: Cycle, by, at=None) -> SelfAssessment:
    """Start the partnership's self-assessment for a cycle, or return the one already started.

    A new one starts from the partnership's answers to its previous cycle (matched by
    requirement code) and lists the areas of concern of that cycle's decision, each needing a
    report on progress before submission.
    """
    today = clock.today()
    if cycle.opens_on > today:
        raise ApplicationError(f"The {cycle} cycle opens on {cycle.opens_on:%-d %B %Y}.")
    with transaction.atomic():
        assessment, created = SelfAssessment.objects.get_or_create(partnership=partnership,
                                                                   cycle=cycle)
        if created:
            previous = (
                SelfAssessment.objects.filter(partnership=partnership,
                                              cycle__year_start__lt=cycle.year_start)
                .select_related("cycle").order_by("-cycle__year_start").first()
            )
            earlier = {}
            if previous is not None:
                earlier = {r.requirement.code: r
                           for r in previous.responses.select_related("requirement")}
                assessment.inclusiveness_note = previous.inclusiveness_note
                assessment.save(update_fields=["inclusiveness_note", "updated_at"])
            RequirementResponse.objects.bulk_create(
                RequirementResponse(
                    assessment=assessment, requirement=requirement,
                    self_rating=old.self_rating if old else "", case=old.case if old else "",
                    carried_forward_from=old,
                )
                for requirement in cycle.requirements.all()
                for old in [earlier.get(requirement.code)]
            )
            concerns = []
            if previous is not None:
                decision = (previous.decisions.exclude(outcome=Decision.Outcome.RETURNED)
                            .order_by("-decided_at", "-id").first())
                if decision is not None:
                    concerns = list(decision.concerns.all())
                    ConcernProgress.objects.bulk_create(
                        ConcernProgress(assessment=assessment, concern=c) for c in concerns
                    )
            summary = "Self-assessment started"
            if previous is not None:
                summary += f" from the {previous.cycle} answers"
                if concerns:
                    summary += f", with {len(concerns)} area(s) of concern to report on"
            _change_record(assessment=assessment, action=AssessmentChange.Action.STARTED, by=by,
                           summary=summary, at=at)
    # Fills in a response for any requirement added to the cycle since it was started.
    return assessment_get_or_create(partnership=partnership, cycle=cycle)


@transaction.atomic
def response_save(
    *, response: RequirementResponse, by, self_rating: str, case: str, expected_version: int,
    inclusiveness_note: str | None = None, at=None,
) -> RequirementResponse:
    """Save the partnership's rating and case for one requirement (and, for the inclusiveness
    requirement, its note on missing sectors).

    `expected_version` is the response's version when the page was loaded. If the answer has
    changed since, the save is refused with ConflictError, unless what was sent is what is
    already saved (a double-submitted form, or a retried autosave), which is a no-op.
    """
    self_rating = self_rating or ""
    if self_rating not in ("", *Rating.values):
        raise ApplicationError("Select red, amber or green", extra={"field": "self_rating"})
    case = _text_checked(case, field="case", label="Your case", words=CASE_WORD_LIMIT)
    if inclusiveness_note is not None:
        inclusiveness_note = _text_checked(
            inclusiveness_note, field="inclusiveness_note",
            label="How you are addressing the missing sectors", words=NOTE_WORD_LIMIT,
        )
    assessment = _draft_locked(response.assessment)
    current = (RequirementResponse.objects.select_for_update().select_related("requirement")
               .get(pk=response.pk, assessment=assessment))
    wanted = {"self_rating": self_rating, "case": case}
    saved = {"self_rating": current.self_rating, "case": current.case}
    if inclusiveness_note is not None:
        wanted["inclusiveness_note"] = inclusiveness_note
        saved["inclusiveness_note"] = assessment.inclusiveness_note
    changes: dict[str, Any] = {field: [saved[field], value] for field, value in wanted.items()
                               if saved[field] != value}
    if not changes:
        return current
    if current.version != expected_version:
        last = (assessment.changes.filter(requirement=current.requirement)
                .order_by("-at", "-id").first())
        who = f" by {last.by}" if last and last.by else ""
        when = f" {time_phrase(last.at)}" if last else ""
        raise ConflictError(
            f"This answer was changed{who}{when}, after you opened the page. What you entered "
            "has not been saved: copy your text, then reload the page to see the latest version."
        )
    current.self_rating = self_rating
    current.case = case
    current.version += 1
    fields = ["self_rating", "case", "version", "updated_at"]
    if answer_needs_check(current):  # an answer carried forward, now edited: it was looked at
        current.checked_at = at or clock.now()
        fields.append("checked_at")
    current.save(update_fields=fields)
    extra_fields = []
    if inclusiveness_note is not None and "inclusiveness_note" in changes:
        assessment.inclusiveness_note = inclusiveness_note
        extra_fields.append("inclusiveness_note")
    _draft_touch(assessment, *extra_fields)
    changes["_subject"] = f"response-{current.pk}"
    _change_record(assessment=assessment, action=AssessmentChange.Action.RESPONSE_SAVED, by=by,
                   requirement=current.requirement, changes=changes, at=at)
    return current


def evidence_prepared(upload) -> tuple:
    """The kind of an uploaded file (from its content) and a safe name for it; refuses what is
    not allowed (accreditation/evidence.py). Checked before any lock is taken."""
    from .. import evidence

    kind = evidence.evidence_kind(upload)
    return kind, evidence.evidence_name(upload.name, kind)


def evidence_store(*, assessment: SelfAssessment, by, upload, kind, name: str, at=None,
                   after_save: Callable[[EvidenceFile], None], **owner) -> EvidenceFile:
    """Store a checked upload for an assessment already locked by the caller's transaction:
    within the assessment's 50 MB, under a random name in MEDIA_ROOT (never served directly),
    the cleaned original name kept for display and download only. `owner` is the answer
    (`response=`) or the progress on an area of concern (`concern_response=`) it belongs to;
    `after_save` records the change. Every file of an assessment goes through here."""
    from .. import evidence

    used = assessment_evidence_bytes(assessment)
    if used + upload.size > evidence.MAX_ASSESSMENT_BYTES:
        raise ApplicationError(
            "The files for this self-assessment must add up to 50 MB or less: "
            f"{evidence.megabytes(used)} is already attached and this file is "
            f"{evidence.megabytes(upload.size)}. Remove a file before adding this one",
            extra={"field": "evidence"},
        )
    record = EvidenceFile(
        **owner, original_name=name, content_type=kind.mime, size=upload.size,
        uploaded_by=by, uploaded_at=at or clock.now(),
    )
    record.file.save(f"{uuid.uuid4().hex}.{kind.extension}", upload, save=False)
    try:
        record.save()
        after_save(record)
    except BaseException:
        record.file.delete(save=False)
        raise
    return record


def evidence_discard(record: EvidenceFile) -> None:
    """Delete the record; the stored file goes once that is committed."""
    storage, stored_name = record.file.storage, record.file.name
    record.delete()
    transaction.on_commit(lambda: storage.delete(stored_name))


def evidence_attach(*, response: RequirementResponse, by, upload, at=None) -> EvidenceFile:
    """Attach an uploaded file to a requirement's answer, once its content, size and name pass."""
    kind, name = evidence_prepared(upload)
    with transaction.atomic():
        assessment = _draft_locked(response.assessment)

        def recorded(record: EvidenceFile) -> None:
            _draft_touch(assessment)
            _change_record(
                assessment=assessment, action=AssessmentChange.Action.EVIDENCE_ADDED, by=by,
                requirement=response.requirement, at=at,
                summary=f"{response.requirement.code} evidence added: {name}",
            )

        return evidence_store(assessment=assessment, by=by, upload=upload, kind=kind, name=name,
                              at=at, after_save=recorded, response=response)


@transaction.atomic
def evidence_remove(*, evidence: EvidenceFile, by, at=None) -> None:
    """Remove a file from a draft; the stored file is deleted once that is committed."""
    response = evidence.response
    # A requirement's evidence: a concern's goes through services.deferral.
    assert response is not None
    assessment = _draft_locked(response.assessment)
    record = EvidenceFile.objects.filter(pk=evidence.pk, response__assessment=assessment).first()
    if record is None:
        return  # already removed (a double-submitted form): nothing more to do
    evidence_discard(record)
    _draft_touch(assessment)
    _change_record(
        assessment=assessment, action=AssessmentChange.Action.EVIDENCE_REMOVED, by=by,
        requirement=response.requirement, at=at,
        summary=f"{response.requirement.code} evidence removed: {record.original_name}",
    )


def concern_progress_token(progress: ConcernProgress) -> str:
    """What a form carries to show which saved version of a progress report it was made from."""
    return progress.updated_at.isoformat()


@transaction.atomic
def concern_progress_save(
    *, progress: ConcernProgress, by, text: str, expected_token: str, at=None
) -> ConcernProgress:
    """Save the partnership's report on progress against one of last cycle's areas of concern."""
    text = _text_checked(text, field=f"progress_{progress.pk}", label="Your progress report",
                         words=NOTE_WORD_LIMIT)
    assessment = _draft_locked(progress.assessment)
    current = (ConcernProgress.objects.select_for_update()
               .select_related("concern__requirement").get(pk=progress.pk, assessment=assessment))
    if current.progress == text:
        return current
    if concern_progress_token(current) != expected_token:
        raise ConflictError(
            f"The progress report on {current.concern.requirement.code} was changed after you "
            "opened the page. What you entered has not been saved: copy your text, then reload "
            "the page to see the latest version."
        )
    changes = {"progress": [current.progress, text], "_subject": f"concern-{current.pk}"}
    current.progress = text
    current.updated_by = by
    current.save(update_fields=["progress", "updated_by", "updated_at"])
    _draft_touch(assessment)
    _change_record(
        assessment=assessment, action=AssessmentChange.Action.PROGRESS_SAVED, by=by,
        requirement=current.concern.requirement, changes=changes, at=at,
        summary=f"{current.concern.requirement.code} progress on area of concern saved",
    )
    return current


@transaction.atomic
def assessment_sign_off_request(
    *, assessment: SelfAssessment, by, expected_version: int | None = None, at=None
) -> SelfAssessment:
    """The officer has checked the answers and asks the chair to sign off."""
    locked = _draft_locked(assessment, expected_version)
    blockers = assessment_submission_blockers(locked)
    if blockers:
        raise ApplicationError(
            "This self-assessment is not ready for sign-off: "
            + "; ".join(b.message for b in blockers) + ".",
            extra={"blockers": blockers},
        )
    locked.sign_off_requested_at = at or clock.now()
    locked.sign_off_requested_by = by
    locked.save(update_fields=["sign_off_requested_at", "sign_off_requested_by", "updated_at"])
    _change_record(assessment=locked, action=AssessmentChange.Action.SIGN_OFF_REQUESTED, by=by,
                   summary="Answers checked; the chair was asked to sign off", at=at)
    return locked


@transaction.atomic
def assessment_submit(
    *, assessment: SelfAssessment, by, expected_version: int | None = None, at=None
) -> SelfAssessment:
    """The chair signs off and the assessment goes to the Government Office."""

    def stamp(a: SelfAssessment):
        # Checked under the row lock: an officer's save cannot slip in between check and submit.
        blockers = assessment_submission_blockers(a)
        if blockers:
            raise ApplicationError(
                "This self-assessment cannot be submitted yet: "
                + "; ".join(b.message for b in blockers) + ".",
                extra={"blockers": blockers},
            )
        a.submitted_at = at or clock.now()
        a.signed_off_by = by

    locked, _ = assessment_transition(
        assessment=assessment, by=by, transition=lambda a: a.submit,
        refusal="Only a draft assessment can be submitted.", expected_version=expected_version,
        reason="Signed off by the chair and submitted", at=at, before_change=stamp,
    )
    return locked
