"""Decision letters, on a page and as a PDF. A letter is the partnership's document, so anyone
who may see the assessment (its officers and chair, the region's reviewers, NRU) may read it."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views import View

from ..letters import letter_blocks, letter_pdf, letter_pdf_filename
from ..models import Decision
from ..review_selectors import assessments_reviewable_by
from ..selectors import assessments_visible_to


class _LetterMixin(LoginRequiredMixin):
    def get_decision(self) -> Decision:
        return get_object_or_404(
            Decision.objects.filter(assessment__in=assessments_visible_to(self.request.user))
            .select_related("assessment__partnership__local_authority__region",
                            "assessment__cycle", "decided_by"),
            pk=self.kwargs["pk"],
        )


class ReviewDecisionLetterView(_LetterMixin, View):
    template_name = "review/letter.html"

    def get(self, request, pk):
        decision = self.get_decision()
        can_review = assessments_reviewable_by(request.user).filter(
            pk=decision.assessment_id).exists()
        return render(request, self.template_name, {
            "decision": decision, "assessment": decision.assessment,
            "blocks": letter_blocks(decision.letter), "can_review": can_review,
        })


class DecisionLetterPdfView(_LetterMixin, View):
    """The letter as a PDF: shown in the browser, or saved as a file with `?download=1`."""

    def get(self, request, pk):
        decision = self.get_decision()
        if not decision.letter:
            raise Http404
        response = HttpResponse(letter_pdf(decision), content_type="application/pdf")
        disposition = "attachment" if request.GET.get("download") == "1" else "inline"
        response["Content-Disposition"] = (
            f'{disposition}; filename="{letter_pdf_filename(decision)}"')
        return response
