"""What the partnership's pages share: the assessment, for an officer or the chair of its
partnership only.

Every page is for an officer or the chair of the assessment's partnership; anyone else gets
404. Views authorise, bind a form, call one service and redirect; the services decide.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404

from ..models import SelfAssessment
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
