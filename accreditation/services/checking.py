"""An officer confirms that an answer carried forward from the previous cycle still stands.

Until an officer confirms it, or edits it (`drafting.response_save` then records the check),
such an answer is "Check again" on the task list and does not count as completed."""

from django.db import transaction

from core import clock
from core.errors import ApplicationError

from ..models import AssessmentChange, RequirementResponse
from ..selectors import answer_needs_check
from .drafting import _change_record, _draft_locked
from .transitions import ConflictError


@transaction.atomic
def response_confirm(*, response: RequirementResponse, by, expected_version: int,
                     at=None) -> RequirementResponse:
    """Record that the officer read the carried-forward answer, as it was when their page was
    loaded (`expected_version`), and it is unchanged. Confirming twice changes nothing."""
    assessment = _draft_locked(response.assessment)
    current = (RequirementResponse.objects.select_for_update(of=("self",))
               .select_related("requirement", "carried_forward_from__assessment__cycle")
               .get(pk=response.pk, assessment=assessment))
    if current.carried_forward_from_id is None:
        raise ApplicationError(f"{current.requirement.code} was not carried forward from an "
                               "earlier self-assessment, so there is nothing to confirm.")
    if not answer_needs_check(current):
        return current
    if current.version != expected_version:
        raise ConflictError(
            f"The {current.requirement.code} answer was changed after you opened the page, so it "
            "has not been confirmed. Read the latest version, then confirm it again.")
    current.checked_at = at or clock.now()
    current.save(update_fields=["checked_at", "updated_at"])
    previous = current.carried_forward_from.assessment.cycle  # type: ignore[union-attr]
    _change_record(
        assessment=assessment, action=AssessmentChange.Action.ANSWER_CONFIRMED, by=by,
        requirement=current.requirement, at=at,
        summary=f"{current.requirement.code} answer carried forward from {previous} confirmed "
                "unchanged",
    )
    return current
