"""The Government Office reviewer's writes before a decision: take the assessment for review,
rate each requirement, record stakeholders' views, or return it to the partnership for changes."""

from datetime import date

from django.db import transaction

from core import clock
from core.errors import ApplicationError
from partnerships.models import Sector

from ..models import (
    AWAITING_REVIEW,
    Decision,
    GoRating,
    RequirementResponse,
    SelfAssessment,
    StakeholderView,
    Status,
)
from .decisions import LetterArg, decision_maker
from .transitions import assessment_lock, assessment_transition


@transaction.atomic
def assessment_start_review(
    *, assessment: SelfAssessment, by, expected_version: int | None = None,
    today: date | None = None, at=None,
) -> SelfAssessment:
    """A GO reviewer takes the assessment. A deferred one (whether or not the partnership has
    responded) only on or after its review date: that opens the next review round."""
    today = today or clock.today()

    def take(a: SelfAssessment):
        if a.status in AWAITING_REVIEW:
            if a.review_date and today < a.review_date:
                raise ApplicationError(
                    f"This deferred assessment cannot be reviewed before its review date, "
                    f"{a.review_date:%-d %B %Y}."
                )
            a.review_round += 1
        a.reviewer = by
        a.review_started_at = at or clock.now()

    locked, _ = assessment_transition(
        assessment=assessment, by=by, transition=lambda a: a.start_review,
        refusal="This assessment cannot be reviewed now.", expected_version=expected_version,
        reason="Review started", at=at, before_change=take,
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
    locked = assessment_lock(response.assessment, expected_version)
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
    locked = assessment_lock(assessment, expected_version)
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
    if given_on > (today or clock.today()):
        raise ApplicationError("The date the view was given cannot be in the future.")
    view = StakeholderView.objects.create(
        assessment=locked, organisation=organisation, sector=sector, stance=stance,
        comment=comment, given_on=given_on, recorded_by=by, review_round=locked.review_round,
    )
    _version_bump(locked)
    return view


@transaction.atomic
def assessment_return(
    *, assessment: SelfAssessment, by, reasons: dict[int, str], summary: str = "",
    expected_version: int | None = None, at=None, letter: LetterArg = "", on: date | None = None,
) -> SelfAssessment:
    """Send back to the LSP with a reason against each requirement concerned; `on` is the date
    of the decision (default the clock's today)."""
    reasons = {rid: text.strip() for rid, text in reasons.items() if text and text.strip()}
    if not reasons:
        raise ApplicationError("Give a reason against at least one requirement.")

    def annotate(a: SelfAssessment):
        if a.review_round > 1:
            raise ApplicationError(
                f"Review round {a.review_round} follows a deferral, so it ends in accreditation "
                "(with or without areas of concern) or a further deferral: it cannot be returned "
                "for changes. Nothing was changed."
            )
        responses = {r.requirement_id: r for r in a.responses.all()}
        unknown = set(reasons) - set(responses)
        if unknown:
            raise ApplicationError("A reason refers to a requirement not in this assessment.")
        for rid, response in responses.items():
            response.return_reason = reasons.get(rid, "")
        RequirementResponse.objects.bulk_update(responses.values(), ["return_reason"])
        a.reviewer = None

    locked, _ = assessment_transition(
        assessment=assessment, by=by, transition=lambda a: a.return_for_changes,
        refusal="Only an assessment under review can be returned.",
        expected_version=expected_version, reason=summary or "Returned for changes", at=at,
        before_change=annotate,
        decision_factory=decision_maker(by=by, outcome=Decision.Outcome.RETURNED,
                                        summary=summary, on=on, at=at, letter=letter),
    )
    return locked
