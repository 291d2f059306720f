"""The reviewer's decision: choose the outcome, then accredit (with or without areas of
concern), defer or return for changes; each with its letter."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from core.errors import ApplicationError

from ..letters import funding_effects, letter_writer
from ..models import FundingState, SelfAssessment
from ..review_forms import (
    AccreditForm,
    AccreditWithConcernsForm,
    DecisionChooseForm,
    DeferForm,
    ReturnForm,
)
from ..services.decisions import assessment_accredit, assessment_defer
from ..services.review import assessment_return
from ..services.transitions import ConflictError, conflict_error
from .review_base import UnderReviewMixin, posted_fields


class DecisionChooseView(UnderReviewMixin, View):
    template_name = "review/decision_choose.html"
    targets = {
        DecisionChooseForm.ACCREDIT: "review:assessment-accredit",
        DecisionChooseForm.ACCREDIT_WITH_CONCERNS: "review:assessment-accredit-with-concerns",
        DecisionChooseForm.DEFER: "review:assessment-defer",
        DecisionChooseForm.RETURN: "review:assessment-return",
    }

    def get(self, request, pk):
        assessment = self.get_assessment()
        if refused := self.check_under_review(assessment):
            return refused
        return render(request, self.template_name, {
            "assessment": assessment,
            "form": DecisionChooseForm(review_round=assessment.review_round)})

    def post(self, request, pk):
        assessment = self.get_assessment()
        if refused := self.check_under_review(assessment):
            return refused
        form = DecisionChooseForm(request.POST, review_round=assessment.review_round)
        if not form.is_valid():
            return render(request, self.template_name, {"assessment": assessment, "form": form})
        return redirect(self.targets[form.cleaned_data["outcome"]], pk=assessment.pk)


class _DecisionView(UnderReviewMixin, View):
    """A decision page: the form, then (where money moves) a confirm page that states the
    funding effect in pounds, then one service call."""

    form_class = None
    title = ""
    confirm = True
    funding_state = FundingState.ACCREDITED
    template_name = "review/decision_form.html"
    confirm_template_name = "review/decision_confirm.html"

    def requirements(self, assessment):
        return list(assessment.cycle.requirements.order_by("order"))

    def submitted_on(self, assessment):
        return timezone.localdate(assessment.submitted_at) if assessment.submitted_at else None

    def context(self, assessment, **extra):
        return {"assessment": assessment, "title": self.title, **extra}

    def get(self, request, pk):
        assessment = self.get_assessment()
        if refused := self.check_under_review(assessment):
            return refused
        form = self.form_class(requirements=self.requirements(assessment),
                               submitted_on=self.submitted_on(assessment),
                               initial={"version": assessment.version})
        return render(request, self.template_name, self.context(assessment, form=form))

    def post(self, request, pk):
        assessment = self.get_assessment()
        if refused := self.check_under_review(assessment):
            return refused
        form = self.form_class(request.POST, requirements=self.requirements(assessment),
                               submitted_on=self.submitted_on(assessment))
        if not form.is_valid() or "change" in request.POST:
            return render(request, self.template_name, self.context(assessment, form=form))
        data = form.cleaned_data
        if data["version"] != assessment.version:
            return self.refuse(conflict_error(assessment), assessment)
        effects = funding_effects(assessment=assessment, funding_state=self.funding_state)
        if self.confirm and "confirm" not in request.POST:
            return render(request, self.confirm_template_name, self.context(
                assessment, form=form, data=data, hidden=posted_fields(request.POST),
                effects=[(e, e.statement(self.funding_state)) for e in effects],
            ))
        try:
            decided = self.decide(assessment=assessment, data=data, effects=effects)
        except ConflictError as error:
            return self.refuse(error, assessment)
        except ApplicationError as error:
            form.add_error(None, error.message)
            return render(request, self.template_name, self.context(assessment, form=form))
        decision = decided.decisions.order_by("-decided_at", "-id").first()
        messages.success(request, self.done_message(decided))
        return redirect("review:decision-letter", pk=decision.pk)

    def decide(self, *, assessment, data, effects) -> SelfAssessment:
        raise NotImplementedError

    def done_message(self, assessment) -> str:
        raise NotImplementedError


class AssessmentAccreditView(_DecisionView):
    form_class = AccreditForm
    title = "Accredit"

    def decide(self, *, assessment, data, effects):
        return assessment_accredit(
            assessment=assessment, by=self.request.user, summary=data["summary"],
            expected_version=data["version"], letter=letter_writer(effects=effects),
            on=data["decided_on"],
        )

    def done_message(self, assessment):
        return f"{assessment.partnership.name} is accredited. The decision letter has been sent."


class AssessmentAccreditWithConcernsView(AssessmentAccreditView):
    form_class = AccreditWithConcernsForm
    title = "Accredit with areas of concern"

    def decide(self, *, assessment, data, effects):
        return assessment_accredit(
            assessment=assessment, by=self.request.user, summary=data["summary"],
            concerns=data["concerns"], expected_version=data["version"],
            letter=letter_writer(effects=effects), on=data["decided_on"],
        )


class AssessmentDeferView(_DecisionView):
    form_class = DeferForm
    title = "Defer accreditation"
    funding_state = FundingState.DEFERRED

    def decide(self, *, assessment, data, effects):
        return assessment_defer(
            assessment=assessment, by=self.request.user, concerns=data["concerns"],
            review_date=data["review_date"], summary=data["summary"],
            expected_version=data["version"], letter=letter_writer(effects=effects),
            on=data["decided_on"],
        )

    def done_message(self, assessment):
        return (f"{assessment.partnership.name}'s accreditation is deferred until its review on "
                f"{assessment.review_date:%-d %B %Y}. The decision letter has been sent.")


class AssessmentReturnView(_DecisionView):
    form_class = ReturnForm
    title = "Return for changes"
    confirm = False

    def check_under_review(self, assessment):
        if refused := super().check_under_review(assessment):
            return refused
        if assessment.review_round > 1:
            messages.error(self.request, (
                f"Review round {assessment.review_round} follows a deferral, so it ends in "
                "accreditation (with or without areas of concern) or a further deferral: it "
                "cannot be returned for changes."))
            return self.to_detail(assessment)
        return None

    def decide(self, *, assessment, data, effects):
        return assessment_return(
            assessment=assessment, by=self.request.user, reasons=data["reasons"],
            summary=data["summary"], expected_version=data["version"],
            letter=letter_writer(effects=[]), on=data["decided_on"],
        )

    def done_message(self, assessment):
        return f"{assessment.partnership.name}'s assessment is returned to the partnership for changes."
