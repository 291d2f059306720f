"""What the Government Office reviewer's pages share.

Every page is for a GO reviewer of the partnership's region; anyone else gets 404 (anonymous
users are sent to sign in). NRU staff read every partnership through the national dashboard, not
here. The decision letter pages are the exception (review_letters).

Views authorise, bind a form, call one service and redirect; a refused or stale action is shown
as a plain message and changes nothing.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from core.errors import ApplicationError

from ..models import SelfAssessment, Status
from ..permissions import user_is_reviewer
from ..review_selectors import assessments_reviewable_by
from ..services.transitions import conflict_error


class ReviewerRequiredMixin(LoginRequiredMixin):
    """Signed in, and a Government Office reviewer; 404 for everyone else."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not user_is_reviewer(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class ReviewAssessmentMixin(ReviewerRequiredMixin):
    """The assessment in the URL, if it is in one of the reviewer's regions (else 404)."""

    def get_assessment(self) -> SelfAssessment:
        return get_object_or_404(assessments_reviewable_by(self.request.user), pk=self.kwargs["pk"])

    def to_detail(self, assessment, anchor: str = ""):
        return redirect(reverse("review:assessment-detail", args=[assessment.pk]) + anchor)

    def refuse(self, error: ApplicationError, assessment):
        messages.error(self.request, error.message)
        return self.to_detail(assessment)


class UnderReviewMixin(ReviewAssessmentMixin):
    """Pages that only make sense while the assessment is under review."""

    def check_under_review(self, assessment):
        if assessment.status != Status.UNDER_REVIEW:
            decided = (Status.ACCREDITED, Status.DEFERRED, Status.DRAFT)
            if self.request.method == "POST" and assessment.status in decided:
                # Someone else decided while this page was open: say who and when.
                message = conflict_error(assessment).message
            else:
                message = (f"{assessment.partnership.name}'s assessment is "
                           f"{assessment.get_status_display().lower()}, not under review: start "
                           "the review first, or check what has happened to it.")
            messages.error(self.request, message)
            return self.to_detail(assessment)
        return None


def posted_fields(post) -> list[tuple[str, str]]:
    """The form's own fields, to carry through the confirm page as hidden inputs."""
    skip = {"csrfmiddlewaretoken", "confirm", "change", "submit"}
    return [(key, value) for key in post for value in post.getlist(key) if key not in skip]
