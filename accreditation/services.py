"""Every write to an assessment happens here: one transaction that locks the row, checks the
transition is legal, records an AccreditationEvent and owes a funding recompute."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django_fsm import can_proceed

from core.errors import ApplicationError
from partnerships.models import Partnership, Sector

from . import signals
from .models import (
    AccreditationEvent,
    AreaOfConcern,
    AssessmentChange,
    ConcernProgress,
    Cycle,
    Decision,
    EvidenceFile,
    FundingState,
    GoRating,
    Rating,
    Requirement,
    RequirementResponse,
    SelfAssessment,
    StakeholderView,
    Status,
)
from .notifications import event_notify_enqueue

# A decision letter: the text itself, or a function that writes it from the recorded Decision.
LetterArg = str | Callable[[Decision], str]


@dataclass(frozen=True)
class Concern:
    requirement: Requirement
    concern: str
    action_required: str
    due_by: date | None = None


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


class ConflictError(ApplicationError):
    """The assessment is no longer what the person saw: someone else acted first, or the page
    was stale. Nothing was applied."""


# How a decided state reads in "Walsall was already deferred by ... at 10:42".
_ALREADY = {
    Status.ACCREDITED: "accredited",
    Status.DEFERRED: "deferred",
}


def _when(at) -> str:
    local = timezone.localtime(at)
    if local.date() == timezone.localdate():
        return f"at {local:%H:%M}"
    return f"at {local:%H:%M} on {local:%-d %B %Y}"


def conflict_error(locked: SelfAssessment) -> ConflictError:
    """Say plainly what happened to the assessment, for someone whose action was not applied."""
    name = locked.partnership.local_authority.name
    last = locked.events.order_by("-at", "-id").first()
    if last and last.to_status == locked.status:
        if locked.status in _ALREADY:
            return ConflictError(
                f"{name} was already {_ALREADY[locked.status]} by {last.actor_label} "
                f"{_when(last.at)}; nothing you entered was applied."
            )
        if last.from_status == Status.UNDER_REVIEW and locked.status == Status.DRAFT:
            return ConflictError(
                f"{name} was already returned for changes by {last.actor_label} "
                f"{_when(last.at)}; nothing you entered was applied."
            )
    status = locked.get_status_display().lower()
    return ConflictError(
        f"{name}'s assessment changed after you opened the page (it is now {status}). Nothing "
        "you entered was applied: check the current page and try again."
    )


def _locked(assessment: SelfAssessment, expected_version: int | None) -> SelfAssessment:
    locked = SelfAssessment.objects.select_for_update().get(pk=assessment.pk)
    if expected_version is not None and locked.version != expected_version:
        raise conflict_error(locked)
    return locked


def _transition(
    *,
    assessment: SelfAssessment,
    by,
    transition: Callable[[SelfAssessment], Callable],
    refusal: str,
    expected_version: int | None,
    reason: str = "",
    decision_factory: Callable[[SelfAssessment], Decision | None] | None = None,
    at=None,
    before_change: Callable[[SelfAssessment], None] | None = None,
) -> tuple[SelfAssessment, AccreditationEvent]:
    locked = _locked(assessment, expected_version)
    method = transition(locked)
    if not can_proceed(method):
        if locked.status in _ALREADY:
            raise conflict_error(locked)
        raise ApplicationError(
            f"{refusal} It is {locked.get_status_display().lower()}: nothing was changed."
        )
    if before_change:
        before_change(locked)
    from_status = locked.status
    method()
    locked.version += 1
    locked.save()
    decision = decision_factory(locked) if decision_factory else None
    event = AccreditationEvent.objects.create(
        assessment=locked,
        from_status=from_status,
        to_status=locked.status,
        by=by,
        actor_label=str(by) if by else "system",
        at=at or timezone.now(),
        reason=reason,
        decision=decision,
    )
    # Funding records the recompute it owes, in this transaction (funding.apps).
    signals.transition_recorded.send(sender=SelfAssessment, assessment=locked, event=event)
    # Emails (submitted -> reviewers, decision -> officers and chairs) only once it is committed.
    transaction.on_commit(lambda: event_notify_enqueue(event_id=event.pk))
    return locked, event


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
        a.submitted_at = at or timezone.now()
        a.signed_off_by = by

    locked, _ = _transition(
        assessment=assessment, by=by, transition=lambda a: a.submit,
        refusal="Only a draft assessment can be submitted.", expected_version=expected_version,
        reason="Signed off by the chair and submitted", at=at, before_change=stamp,
    )
    return locked


@transaction.atomic
def assessment_start_review(
    *, assessment: SelfAssessment, by, expected_version: int | None = None,
    today: date | None = None, at=None,
) -> SelfAssessment:
    """A GO reviewer takes the assessment; a deferred one only on or after its review date."""
    today = today or timezone.localdate()

    def take(a: SelfAssessment):
        if a.status == Status.DEFERRED:
            if a.review_date and today < a.review_date:
                raise ApplicationError(
                    f"This deferred assessment cannot be reviewed before its review date, "
                    f"{a.review_date:%-d %B %Y}."
                )
            a.review_round += 1
        a.reviewer = by
        a.review_started_at = at or timezone.now()

    locked, _ = _transition(
        assessment=assessment, by=by, transition=lambda a: a.start_review,
        refusal="This assessment cannot be reviewed now.", expected_version=expected_version,
        reason="Review started", at=at, before_change=take,
    )
    return locked


def _decision_maker(*, by, outcome, concerns=(), review_date=None, letter: LetterArg = "",
                    summary="", on: date | None = None, at=None):
    def make(a: SelfAssessment) -> Decision:
        decision = Decision.objects.create(
            assessment=a, review_round=a.review_round, outcome=outcome, review_date=review_date,
            letter="" if callable(letter) else letter, summary=summary, decided_by=by,
            decided_on=on or timezone.localdate(), decided_at=at or timezone.now(),
        )
        AreaOfConcern.objects.bulk_create(
            AreaOfConcern(decision=decision, requirement=c.requirement, concern=c.concern,
                          action_required=c.action_required, due_by=c.due_by)
            for c in concerns
        )
        if callable(letter):
            # Written from the decision as recorded, inside its transaction, and kept with it.
            decision.letter = letter(decision)
            decision.save(update_fields=["letter"])
        return decision

    return make


def _check_concerns(assessment: SelfAssessment, concerns) -> None:
    for c in concerns:
        if c.requirement.cycle_id != assessment.cycle_id:
            raise ApplicationError("An area of concern must refer to a requirement of this cycle.")
        if not c.concern.strip() or not c.action_required.strip():
            raise ApplicationError("Each area of concern needs the concern and the action required.")


@transaction.atomic
def assessment_accredit(
    *, assessment: SelfAssessment, by, concerns: list[Concern] = (), letter: LetterArg = "",
    summary: str = "", expected_version: int | None = None, on: date | None = None, at=None,
) -> SelfAssessment:
    """Accredit, with or without areas of concern. Releases the full allocation."""
    _check_concerns(assessment, concerns)
    outcome = (Decision.Outcome.ACCREDITED_WITH_CONCERNS if concerns
               else Decision.Outcome.ACCREDITED)

    def settle(a: SelfAssessment):
        a.funding_state = FundingState.ACCREDITED
        a.review_date = None

    locked, _ = _transition(
        assessment=assessment, by=by, transition=lambda a: a.accredit,
        refusal="Only an assessment under review can be accredited.",
        expected_version=expected_version, reason=summary or "Accredited", at=at,
        before_change=settle,
        decision_factory=_decision_maker(by=by, outcome=outcome, concerns=concerns,
                                         letter=letter, summary=summary, on=on, at=at),
    )
    return locked


@transaction.atomic
def assessment_defer(
    *, assessment: SelfAssessment, by, concerns: list[Concern], review_date: date,
    letter: LetterArg = "", summary: str = "", expected_version: int | None = None,
    on: date | None = None, at=None,
) -> SelfAssessment:
    """Defer with at least one area of concern and a review date."""
    if not concerns:
        raise ApplicationError("A deferral needs at least one area of concern.")
    if review_date is None:
        raise ApplicationError("A deferral needs a review date.")
    decided_on = on or timezone.localdate()
    if review_date <= decided_on:
        raise ApplicationError("The review date must be after the date of the decision.")
    _check_concerns(assessment, concerns)

    def settle(a: SelfAssessment):
        a.funding_state = FundingState.DEFERRED
        a.review_date = review_date

    locked, _ = _transition(
        assessment=assessment, by=by, transition=lambda a: a.defer,
        refusal="Only an assessment under review can be deferred.",
        expected_version=expected_version, reason=summary or "Deferred pending review", at=at,
        before_change=settle,
        decision_factory=_decision_maker(by=by, outcome=Decision.Outcome.DEFERRED,
                                         concerns=concerns, review_date=review_date,
                                         letter=letter, summary=summary, on=decided_on, at=at),
    )
    return locked


@transaction.atomic
def assessment_return(
    *, assessment: SelfAssessment, by, reasons: dict[int, str], summary: str = "",
    expected_version: int | None = None, at=None, letter: LetterArg = "",
) -> SelfAssessment:
    """Send back to the LSP with a reason against each requirement concerned."""
    reasons = {rid: text.strip() for rid, text in reasons.items() if text and text.strip()}
    if not reasons:
        raise ApplicationError("Give a reason against at least one requirement.")

    def annotate(a: SelfAssessment):
        responses = {r.requirement_id: r for r in a.responses.all()}
        unknown = set(reasons) - set(responses)
        if unknown:
            raise ApplicationError("A reason refers to a requirement not in this assessment.")
        for rid, response in responses.items():
            response.return_reason = reasons.get(rid, "")
        RequirementResponse.objects.bulk_update(responses.values(), ["return_reason"])
        a.reviewer = None

    locked, _ = _transition(
        assessment=assessment, by=by, transition=lambda a: a.return_for_changes,
        refusal="Only an assessment under review can be returned.",
        expected_version=expected_version, reason=summary or "Returned for changes", at=at,
        before_change=annotate,
        decision_factory=_decision_maker(by=by, outcome=Decision.Outcome.RETURNED,
                                         summary=summary, at=at, letter=letter),
    )
    return locked


def _version_bump(assessment: SelfAssessment) -> None:
    """A change that is not a transition still makes pages loaded before it stale."""
    assessment.version += 1
    assessment.save(update_fields=["version", "updated_at"])


@transaction.atomic
def response_go_rate(
    *, response: RequirementResponse, by, go_rating: str, go_comment: str = "",
    expected_version: int | None = None,
) -> RequirementResponse:
    """The reviewer's view of one requirement: agree with the self-rating, or give their own
    rating with the reason."""
    locked = _locked(response.assessment, expected_version)
    if locked.status != Status.UNDER_REVIEW:
        raise ApplicationError(
            "Requirements can be rated only while the assessment is under review. It is "
            f"{locked.get_status_display().lower()}: nothing was changed."
        )
    if go_rating not in GoRating.values:
        raise ApplicationError("Choose agree, red, amber or green.")
    response = RequirementResponse.objects.get(pk=response.pk, assessment=locked)
    if go_rating == response.self_rating:
        go_rating = GoRating.AGREE  # the same rating as the partnership's is agreement
    go_comment = go_comment.strip()
    if go_rating != GoRating.AGREE and not go_comment:
        raise ApplicationError("Give the reason for a rating different from the self-rating.")
    response.go_rating = go_rating
    response.go_comment = go_comment
    response.save(update_fields=["go_rating", "go_comment", "updated_at"])
    _version_bump(locked)
    return response


@transaction.atomic
def stakeholder_view_record(
    *, assessment: SelfAssessment, by, organisation: str, sector: str, stance: str, comment: str,
    given_on: date, expected_version: int | None = None, today: date | None = None,
) -> StakeholderView:
    """Record what a key local stakeholder told the Government Office about the partnership."""
    locked = _locked(assessment, expected_version)
    if locked.status != Status.UNDER_REVIEW:
        raise ApplicationError(
            "Stakeholder views are recorded while the assessment is under review. It is "
            f"{locked.get_status_display().lower()}: nothing was changed."
        )
    organisation, comment = organisation.strip(), comment.strip()
    if not organisation or not comment:
        raise ApplicationError("Give the organisation and what it said.")
    if sector not in Sector.values or stance not in StakeholderView.Stance.values:
        raise ApplicationError("Choose the organisation's sector and whether it supports the case.")
    if given_on is None:
        raise ApplicationError("Enter the date the view was given.")
    if given_on > (today or timezone.localdate()):
        raise ApplicationError("The date the view was given cannot be in the future.")
    view = StakeholderView.objects.create(
        assessment=locked, organisation=organisation, sector=sector, stance=stance,
        comment=comment, given_on=given_on, recorded_by=by,
    )
    _version_bump(locked)
    return view


BULK_ACCREDITABLE_RATINGS = frozenset({GoRating.AGREE, GoRating.GREEN})


def assessment_bulk_accreditable(assessment: SelfAssessment) -> bool:
    """Under review, and every requirement rated by the Government Office green or agreed."""
    ratings = [r.go_rating for r in assessment.responses.all()]
    return (
        assessment.status == Status.UNDER_REVIEW
        and bool(ratings)
        and all(r in BULK_ACCREDITABLE_RATINGS for r in ratings)
    )


@dataclass(frozen=True)
class BulkItem:
    assessment: SelfAssessment
    expected_version: int | None
    letter: "LetterArg" = ""


@transaction.atomic
def assessments_accredit_bulk(
    *, items: list[BulkItem], by, summary: str = "", on: date | None = None, at=None,
) -> list[SelfAssessment]:
    """Accredit several assessments in one action, each with its own decision and event. All or
    nothing: if one has changed or no longer qualifies, none is accredited and the message names it."""
    if not items:
        raise ApplicationError("Select at least one assessment to accredit.")
    ids = [item.assessment.pk for item in items]
    if len(set(ids)) != len(ids):
        raise ApplicationError("An assessment was selected twice.")
    accredited = []
    # Lock in id order so two bulk actions over overlapping sets cannot deadlock.
    for item in sorted(items, key=lambda i: i.assessment.pk):
        locked = _locked(item.assessment, item.expected_version)
        if not assessment_bulk_accreditable(locked):
            raise ApplicationError(
                f"{locked.partnership.local_authority.name} cannot be accredited in bulk: it must "
                "be under review with every requirement rated green or agreed. Nothing was accredited."
            )
        accredited.append(assessment_accredit(
            assessment=locked, by=by, letter=item.letter, summary=summary,
            expected_version=item.expected_version, on=on, at=at,
        ))
    return accredited


# --- The officer's side: drafting, evidence, sign-off ------------------------------------------
# Every change to a draft locks the assessment row first, so it is ordered against submission
# (a save that loses that race is refused, never applied to a submitted assessment).

CASE_WORD_LIMIT = 500
NOTE_WORD_LIMIT = 300
# A hard stop for text that has few spaces (a pasted table, or a deliberate attack).
TEXT_CHARACTER_LIMIT = 10_000
# Saves by the same person to the same answer within this window are one entry in the history:
# autosave posts every few seconds while someone types.
HISTORY_COALESCE_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Blocker:
    """Something that stops submission: `key` is a requirement code or 'concern-<id>'."""

    key: str
    message: str


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
    locked = _locked(assessment, expected_version)
    if not locked.is_editable_by_lsp:
        last = locked.events.order_by("-at", "-id").first()
        how = f" by {last.actor_label} {_when(last.at)}" if last and last.to_status == locked.status else ""
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
    at = at or timezone.now()
    changes = changes or {}
    if action in (AssessmentChange.Action.RESPONSE_SAVED, AssessmentChange.Action.PROGRESS_SAVED):
        last = assessment.changes.order_by("-at", "-id").first()
        if (
            last is not None and last.action == action and last.by_id == getattr(by, "pk", None)
            and last.requirement_id == getattr(requirement, "pk", None)
            and last.changes.get("_subject") == changes.get("_subject")
            and at - last.at <= HISTORY_COALESCE_WINDOW
        ):
            merged = {}
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


def assessment_start(*, partnership: Partnership, cycle: Cycle, by, at=None) -> SelfAssessment:
    """Start the partnership's self-assessment for a cycle, or return the one already started.

    A new one starts from the partnership's answers to its previous cycle (matched by
    requirement code) and lists the areas of concern of that cycle's decision, each needing a
    report on progress before submission.
    """
    today = timezone.localdate()
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
    changes = {field: [saved[field], value] for field, value in wanted.items()
               if saved[field] != value}
    if not changes:
        return current
    if current.version != expected_version:
        last = (assessment.changes.filter(requirement=current.requirement)
                .order_by("-at", "-id").first())
        who = f" by {last.by}" if last and last.by else ""
        when = f" {_when(last.at)}" if last else ""
        raise ConflictError(
            f"This answer was changed{who}{when}, after you opened the page. What you entered "
            "has not been saved: copy your text, then reload the page to see the latest version."
        )
    current.self_rating = self_rating
    current.case = case
    current.version += 1
    current.save(update_fields=["self_rating", "case", "version", "updated_at"])
    extra_fields = []
    if "inclusiveness_note" in changes:
        assessment.inclusiveness_note = inclusiveness_note
        extra_fields.append("inclusiveness_note")
    _draft_touch(assessment, *extra_fields)
    changes["_subject"] = f"response-{current.pk}"
    _change_record(assessment=assessment, action=AssessmentChange.Action.RESPONSE_SAVED, by=by,
                   requirement=current.requirement, changes=changes, at=at)
    return current


def evidence_attach(*, response: RequirementResponse, by, upload, at=None) -> EvidenceFile:
    """Attach an uploaded file to a requirement's answer, once its content, size and name pass.

    The file is stored under a random name in MEDIA_ROOT (never served directly); the cleaned
    original name is kept for display and download only.
    """
    from . import evidence

    kind = evidence.evidence_kind(upload)
    name = evidence.evidence_name(upload.name, kind)
    with transaction.atomic():
        assessment = _draft_locked(response.assessment)
        used = (EvidenceFile.objects.filter(response__assessment=assessment)
                .aggregate(total=Sum("size"))["total"] or 0)
        if used + upload.size > evidence.MAX_ASSESSMENT_BYTES:
            raise ApplicationError(
                "The files for this self-assessment must add up to 50 MB or less: "
                f"{evidence.megabytes(used)} is already attached and this file is "
                f"{evidence.megabytes(upload.size)}. Remove a file before adding this one",
                extra={"field": "evidence"},
            )
        record = EvidenceFile(
            response=response, original_name=name, content_type=kind.mime, size=upload.size,
            uploaded_by=by, uploaded_at=at or timezone.now(),
        )
        record.file.save(f"{uuid.uuid4().hex}.{kind.extension}", upload, save=False)
        try:
            record.save()
            _draft_touch(assessment)
            _change_record(
                assessment=assessment, action=AssessmentChange.Action.EVIDENCE_ADDED, by=by,
                requirement=response.requirement, at=at,
                summary=f"{response.requirement.code} evidence added: {name}",
            )
        except BaseException:
            record.file.delete(save=False)
            raise
    return record


@transaction.atomic
def evidence_remove(*, evidence: EvidenceFile, by, at=None) -> None:
    """Remove a file from a draft; the stored file is deleted once that is committed."""
    response = evidence.response
    assessment = _draft_locked(response.assessment)
    record = EvidenceFile.objects.filter(pk=evidence.pk, response__assessment=assessment).first()
    if record is None:
        return  # already removed (a double-submitted form): nothing more to do
    storage, stored_name = record.file.storage, record.file.name
    record.delete()
    _draft_touch(assessment)
    _change_record(
        assessment=assessment, action=AssessmentChange.Action.EVIDENCE_REMOVED, by=by,
        requirement=response.requirement, at=at,
        summary=f"{response.requirement.code} evidence removed: {record.original_name}",
    )
    transaction.on_commit(lambda: storage.delete(stored_name))


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


def assessment_submission_blockers(
    assessment: SelfAssessment, *, responses=None, progress=None
) -> list[Blocker]:
    """What must still be done before the chair can submit: each requirement needs a rating
    and a case; each of last cycle's areas of concern needs a report on progress. A page that
    has loaded the responses (with requirements) and progress reports may pass them in."""
    if responses is None:
        responses = assessment.responses.select_related("requirement").order_by("requirement__order")
    if progress is None:
        progress = assessment.concern_progress.select_related("concern__requirement")
    blockers = []
    for r in responses:
        missing = [what for what, present in (("select a self-rating", r.self_rating),
                                              ("write your case", r.case.strip())) if not present]
        if missing:
            blockers.append(Blocker(
                r.requirement.code,
                f"{r.requirement.code} {r.requirement.title}: {' and '.join(missing)}",
            ))
    for p in progress:
        if not p.progress.strip():
            blockers.append(Blocker(
                f"concern-{p.pk}",
                f"Report your progress on the area of concern about "
                f"{p.concern.requirement.code} {p.concern.requirement.title}",
            ))
    return blockers


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
    locked.sign_off_requested_at = at or timezone.now()
    locked.sign_off_requested_by = by
    locked.save(update_fields=["sign_off_requested_at", "sign_off_requested_by", "updated_at"])
    _change_record(assessment=locked, action=AssessmentChange.Action.SIGN_OFF_REQUESTED, by=by,
                   summary="Answers checked; the chair was asked to sign off", at=at)
    return locked
