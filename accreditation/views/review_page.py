"""The review of one assessment: the page itself, taking it for review, rating each
requirement and recording stakeholders' views."""

from collections import OrderedDict

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.views import View

from core import clock
from core.errors import ApplicationError
from partnerships.models import Sector
from performance.selectors import progress_summary_for_requirement

from ..letters import funding_effects
from ..models import AccreditationEvent, EvidenceFile, RequirementResponse, SelfAssessment, Status
from ..review_forms import ResponseRateForm, StakeholderViewForm
from ..services.review import assessment_start_review, response_go_rate, stakeholder_view_record
from ..services.transitions import ConflictError
from .review_base import ReviewAssessmentMixin, UnderReviewMixin


def _can_start(assessment: SelfAssessment, today) -> bool:
    if assessment.status == Status.SUBMITTED:
        return True
    return assessment.status == Status.DEFERRED and bool(
        assessment.review_date and assessment.review_date <= today
    )


def _evidence_url(evidence: EvidenceFile) -> str | None:
    """The officer journey's permission-checked download, where it is installed."""
    for args in ([evidence.pk], [evidence.response.assessment_id, evidence.pk]):
        try:
            return reverse("accreditation:evidence-download", args=args)
        except NoReverseMatch:
            continue
    return None


class AssessmentDetailView(ReviewAssessmentMixin, View):
    template_name = "review/assessment_detail.html"

    def get(self, request, pk):
        assessment = self.get_assessment()
        today = clock.today()
        responses = list(
            assessment.responses.select_related("requirement").prefetch_related(
                Prefetch("evidence_files", queryset=EvidenceFile.objects.order_by("uploaded_at"))
            )
        )
        for response in responses:
            response.evidence = [(f, _evidence_url(f)) for f in response.evidence_files.all()]
            response.progress_summary = progress_summary_for_requirement(
                requirement=response.requirement, partnership=assessment.partnership)
        members = list(assessment.partnership.members.all())
        by_sector = OrderedDict((label, []) for _, label in Sector.choices)
        for member in members:
            by_sector[member.get_sector_display()].append(member)
        decisions = list(
            assessment.decisions.select_related("decided_by")
            .prefetch_related("concerns__requirement").order_by("-decided_at")
        )
        events = list(
            AccreditationEvent.objects.filter(assessment=assessment)
            .select_related("decision").order_by("at", "id")
        )
        return render(request, self.template_name, {
            "assessment": assessment, "partnership": assessment.partnership,
            "responses": responses, "by_sector": by_sector, "member_count": len(members),
            "stakeholder_views": list(assessment.stakeholder_views.select_related("recorded_by")),
            "decisions": decisions, "events": events,
            "can_start": _can_start(assessment, today),
            "under_review": assessment.status == Status.UNDER_REVIEW,
            "all_rated": all(r.go_rating for r in responses),
            "effects": funding_effects(assessment=assessment,
                                       funding_state=assessment.funding_state),
            "today": today,
        })


class ReviewStartView(ReviewAssessmentMixin, View):
    """POST only: take the assessment for review (a deferred one on or after its review date)."""

    def get(self, request, pk):
        return self.to_detail(self.get_assessment())

    def post(self, request, pk):
        assessment = self.get_assessment()
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = -1
        try:
            assessment_start_review(assessment=assessment, by=request.user,
                                    expected_version=version)
        except ApplicationError as error:
            return self.refuse(error, assessment)
        messages.success(request, f"You started the review of {assessment.partnership.name}.")
        return self.to_detail(assessment)


class ResponseRateView(UnderReviewMixin, View):
    template_name = "review/response_rate.html"

    def _response(self, assessment) -> RequirementResponse:
        return get_object_or_404(
            RequirementResponse.objects.select_related("requirement").prefetch_related(
                "evidence_files"),
            assessment=assessment, requirement_id=self.kwargs["requirement_pk"],
        )

    def _render(self, assessment, response, form):
        response.evidence = [(f, _evidence_url(f)) for f in response.evidence_files.all()]
        return render(self.request, self.template_name, {
            "assessment": assessment, "response": response, "form": form,
        })

    def get(self, request, pk, requirement_pk):
        assessment = self.get_assessment()
        response = self._response(assessment)
        if refused := self.check_under_review(assessment):
            return refused
        form = ResponseRateForm(response=response, initial={
            "go_rating": response.go_rating, "go_comment": response.go_comment,
            "version": assessment.version,
        })
        return self._render(assessment, response, form)

    def post(self, request, pk, requirement_pk):
        assessment = self.get_assessment()
        response = self._response(assessment)
        if refused := self.check_under_review(assessment):
            return refused
        form = ResponseRateForm(request.POST, response=response)
        if not form.is_valid():
            return self._render(assessment, response, form)
        try:
            response_go_rate(
                response=response, by=request.user, go_rating=form.cleaned_data["go_rating"],
                go_comment=form.cleaned_data["go_comment"],
                expected_version=form.cleaned_data["version"],
            )
        except ConflictError as error:
            return self.refuse(error, assessment)
        except ApplicationError as error:
            form.add_error(None, error.message)
            return self._render(assessment, response, form)
        messages.success(request, f"Your rating of {response.requirement.code} is saved.")
        return self.to_detail(assessment, f"#requirement-{response.requirement.code}")


class StakeholderViewAddView(UnderReviewMixin, View):
    template_name = "review/stakeholder_form.html"

    def get(self, request, pk):
        assessment = self.get_assessment()
        if refused := self.check_under_review(assessment):
            return refused
        form = StakeholderViewForm(initial={"version": assessment.version})
        return render(request, self.template_name, {"assessment": assessment, "form": form})

    def post(self, request, pk):
        assessment = self.get_assessment()
        if refused := self.check_under_review(assessment):
            return refused
        form = StakeholderViewForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                stakeholder_view_record(
                    assessment=assessment, by=request.user, organisation=data["organisation"],
                    sector=data["sector"], stance=data["stance"], comment=data["comment"],
                    given_on=data["given_on"], expected_version=data["version"],
                )
            except ConflictError as error:
                return self.refuse(error, assessment)
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"The view of {data['organisation']} is recorded.")
                return self.to_detail(assessment, "#stakeholder-views")
        return render(request, self.template_name, {"assessment": assessment, "form": form})
