"""The Government Office's decisions: accredit (with or without areas of concern), defer, and
accredit several at once. Each records a Decision with its areas of concern and its letter, and
moves the assessment's funding state."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from core import clock
from core.errors import ApplicationError
from partnerships.models import Member

from ..models import AreaOfConcern, Decision, FundingState, Requirement, SelfAssessment
from ..review_selectors import assessment_bulk_accreditable
from .transitions import assessment_lock, assessment_transition

# A decision letter: the text itself, or a function that writes it from the recorded Decision.
LetterArg = str | Callable[[Decision], str]


@dataclass(frozen=True)
class Concern:
    requirement: Requirement
    concern: str
    action_required: str
    due_by: date | None = None


def decision_snapshot(assessment: SelfAssessment) -> dict:
    """What a decision is made on, kept with it so a later round can say what changed: each
    answer (by requirement code) with the Government Office's rating, and the membership."""
    return {
        "answers": {
            r.requirement.code: {
                "title": r.requirement.title, "self_rating": r.self_rating, "case": r.case,
                "go_rating": r.go_rating, "go_comment": r.go_comment,
            }
            for r in assessment.responses.select_related("requirement").order_by(
                "requirement__order")
        },
        "members": [
            {"id": m.pk, "organisation": m.organisation, "representative": m.representative,
             "sector": m.sector, "role": m.role}
            for m in Member.objects.filter(partnership_id=assessment.partnership_id).order_by("pk")
        ],
    }
def decision_date_check(assessment: SelfAssessment, on: date) -> None:
    """A decision is dated on a day that has come: the clock's today or earlier.

    That it is not before the self-assessment was submitted is the decision forms' rule
    (accreditation/review_forms.py), where the reviewer gives the date; the services also record
    history built by loaders and tests, which may date a decision as they please within the past.
    """
    if on > clock.today():
        raise ApplicationError(
            f"The date of {assessment.partnership.name}'s decision cannot be in the future.")


def decision_maker(*, by, outcome, concerns=(), review_date=None, letter: LetterArg = "",
                   summary="", on: date | None = None, at=None):
    """What records the Decision (its areas of concern, its letter, and a snapshot of what it
    was made on) inside a transition. `on` is the date of the decision (default the clock's
    today), `at` when it is recorded."""

    def make(a: SelfAssessment) -> Decision:
        decided_on = on or clock.today()
        decision_date_check(a, decided_on)
        decision = Decision.objects.create(
            assessment=a, review_round=a.review_round, outcome=outcome, review_date=review_date,
            letter="" if callable(letter) else letter, summary=summary, decided_by=by,
            decided_on=decided_on, decided_at=at or clock.now(),
            snapshot=decision_snapshot(a),
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
    *, assessment: SelfAssessment, by, concerns: Sequence[Concern] = (), letter: LetterArg = "",
    summary: str = "", expected_version: int | None = None, on: date | None = None, at=None,
) -> SelfAssessment:
    """Accredit, with or without areas of concern. Releases the full allocation."""
    _check_concerns(assessment, concerns)
    outcome = (Decision.Outcome.ACCREDITED_WITH_CONCERNS if concerns
               else Decision.Outcome.ACCREDITED)

    def settle(a: SelfAssessment):
        a.funding_state = FundingState.ACCREDITED
        a.review_date = None

    locked, _ = assessment_transition(
        assessment=assessment, by=by, transition=lambda a: a.accredit,
        refusal="Only an assessment under review can be accredited.",
        expected_version=expected_version, reason=summary or "Accredited", at=at,
        before_change=settle,
        decision_factory=decision_maker(by=by, outcome=outcome, concerns=concerns,
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
    decided_on = on or clock.today()
    if review_date <= decided_on:
        raise ApplicationError("The review date must be after the date of the decision.")
    _check_concerns(assessment, concerns)

    def settle(a: SelfAssessment):
        a.funding_state = FundingState.DEFERRED
        a.review_date = review_date

    locked, _ = assessment_transition(
        assessment=assessment, by=by, transition=lambda a: a.defer,
        refusal="Only an assessment under review can be deferred.",
        expected_version=expected_version, reason=summary or "Deferred pending review", at=at,
        before_change=settle,
        decision_factory=decision_maker(by=by, outcome=Decision.Outcome.DEFERRED,
                                        concerns=concerns, review_date=review_date,
                                        letter=letter, summary=summary, on=decided_on, at=at),
    )
    return locked


@dataclass(frozen=True)
class BulkItem:
    assessment: SelfAssessment
    expected_version: int | None
    letter: LetterArg = ""


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
        locked = assessment_lock(item.assessment, item.expected_version)
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
