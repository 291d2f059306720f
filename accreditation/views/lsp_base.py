"""What the partnership's pages share: the assessment, for an officer or the chair of its
partnership only.

Every page is for an officer or the chair of the assessment's partnership; anyone else gets
404. Views authorise, bind a form, call one service and redirect; the services decide.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404

from ..models import Decision, SelfAssessment
from ..permissions import can_edit_assessment, can_view_assessment
from ..selectors import assessments_visible_to


def assessment_for_lsp(user, pk) -> SelfAssessment:
    """The assessment, if the user is an officer or the chair of its partnership; else 404."""
    assessment = assessments_visible_to(user).filter(pk=pk).first()
    if assessment is None or not can_view_assessment(user, assessment):
        raise Http404("No such self-assessment")
    return assessment


class LspAssessmentMixin(LoginRequiredMixin):
    """Loads `self.assessment` for an officer or chair of its partnership (404 for others)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.assessment = assessment_for_lsp(request.user, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["assessment"] = self.assessment
        context["editable"] = can_edit_assessment(self.request.user, self.assessment)
        return context


def sign_off_is_requested(assessment: SelfAssessment) -> bool:
    """Asked since the last submission (a return for changes needs a fresh request)."""
    requested = assessment.sign_off_requested_at
    return bool(requested) and (assessment.submitted_at is None or requested > assessment.submitted_at)


# A draft the officer has handed to the chair: shown as waiting, not as a draft.
WAITING_FOR_SIGN_OFF = "waiting_for_sign_off"


def draft_status(assessment: SelfAssessment) -> tuple[str, str]:
    """The value and label a draft shows: waiting for the chair's sign-off once the officer has
    asked, returned for changes after a return, otherwise a draft."""
    if sign_off_is_requested(assessment):
        return WAITING_FOR_SIGN_OFF, "Waiting for sign-off"
    if assessment.submitted_at is not None:
        return Decision.Outcome.RETURNED, Decision.Outcome.RETURNED.label
    return assessment.status, assessment.get_status_display()
