"""Every write to an assessment happens here: one transaction that locks the row, checks the
transition is legal, records an AccreditationEvent and owes a funding recompute."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from core.errors import ApplicationError
from partnerships.models import Partnership, RecomputeRequest
from partnerships.services import recompute_request

from .models import (
    AccreditationEvent,
    AreaOfConcern,
    Cycle,
    Decision,
    FundingState,
    Requirement,
    RequirementResponse,
    SelfAssessment,
    Status,
)


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


def _locked(assessment: SelfAssessment, expected_version: int | None) -> SelfAssessment:
    locked = SelfAssessment.objects.select_for_update().get(pk=assessment.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ApplicationError(
            "This assessment was changed by someone else since you opened the page "
            f"(it is now {locked.get_status_display().lower()}). Nothing you sent was applied: "
            "check the current version and try again."
        )
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


def _decision_maker(*, by, outcome, concerns=(), review_date=None, letter="", summary="",
                    on: date | None = None, at=None):
    def make(a: SelfAssessment) -> Decision:
        decision = Decision.objects.create(
            assessment=a, review_round=a.review_round, outcome=outcome, review_date=review_date,
            letter=letter, summary=summary, decided_by=by,
            decided_on=on or timezone.localdate(), decided_at=at or timezone.now(),
        )
        AreaOfConcern.objects.bulk_create(
            AreaOfConcern(decision=decision, requirement=c.requirement, concern=c.concern,
                          action_required=c.action_required, due_by=c.due_by)
            for c in concerns
        )
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
    *, assessment: SelfAssessment, by, concerns: list[Concern] = (), letter: str = "",
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
    letter: str = "", summary: str = "", expected_version: int | None = None,
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
    expected_version: int | None = None, at=None,
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
                                         summary=summary, at=at),
    )
    return locked
