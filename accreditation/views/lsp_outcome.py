"""After the decision: the decision with its areas of concern and what it meant for the money,
the letter as sent, and the assessment's history."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from ..letters import letter_blocks
from ..models import Decision
from ..selectors import assessment_timeline
from .lsp_base import LspAssessmentMixin
from .lsp_money import funding_consequence


class AssessmentDecisionView(LspAssessmentMixin, TemplateView):
    template_name = "accreditation/assessment_decision.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        a = self.assessment
        decisions = list(
            a.decisions.exclude(outcome=Decision.Outcome.RETURNED)
            .select_related("decided_by")
            .prefetch_related("concerns__requirement")
            .order_by("-decided_at", "-id")
        )
        if not decisions:
            raise Http404("No decision yet")
        context.update(decision=decisions[0], earlier=decisions[1:],
                       funding=funding_consequence(a))
        return context


class LspDecisionLetterView(LspAssessmentMixin, TemplateView):
    """The letter as sent (Decision.letter), on a print-friendly page."""

    template_name = "accreditation/assessment_letter.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        decision = get_object_or_404(self.assessment.decisions.select_related("decided_by"),
                                     pk=self.kwargs["decision_pk"])
        context.update(decision=decision, blocks=letter_blocks(decision.letter))
        return context


class AssessmentHistoryView(LspAssessmentMixin, TemplateView):
    template_name = "accreditation/assessment_history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["timeline"] = assessment_timeline(self.assessment)
        return context
