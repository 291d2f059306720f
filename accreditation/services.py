"""Every write to an assessment happens here: one transaction that locks the row, checks the
transition is legal, records an AccreditationEvent and owes a funding recompute."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from core.errors import ApplicationError
from partnerships.models import Partnership, RecomputeRequest, Sector
from partnerships.services import recompute_request

from .models import (
    AccreditationEvent,
    AreaOfConcern,
    Cycle,
    Decision,
    FundingState,
    GoRating,
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


def _conflict(locked: SelfAssessment) -> ConflictError:
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
        raise _conflict(locked)
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
            raise _conflict(locked)
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
    recompute_request(
        partnership=locked.partnership, cause=RecomputeRequest.Cause.EVENT, cause_id=event.pk
    )
    # Emails (submitted -> reviewers, decision -> officers and chairs) only once it is committed.
    transaction.on_commit(lambda: event_notify_enqueue(event_id=event.pk))
    return locked, event


@transaction.atomic
def assessment_submit(
    *, assessment: SelfAssessment, by, expected_version: int | None = None, at=None
) -> SelfAssessment:
    """The chair signs off and the assessment goes to the Government Office."""
    incomplete = [
        r.requirement.code
        for r in assessment.responses.select_related("requirement")
        if not r.is_complete
    ]
    if incomplete:
        raise ApplicationError(
            "Every requirement needs a rating and a case before submission: "
            + ", ".join(incomplete) + " still need answers."
        )

    def stamp(a: SelfAssessment):
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
    go_comment = go_comment.strip()
    if go_rating != GoRating.AGREE and not go_comment:
        raise ApplicationError("Give the reason for a rating different from the self-rating.")
    response = RequirementResponse.objects.get(pk=response.pk, assessment=locked)
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
