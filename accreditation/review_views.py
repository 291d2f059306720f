"""The Government Office reviewer's pages: the region's queue, the review, decisions, letters.

Every page is for a GO reviewer of the partnership's region; anyone else gets 404 (anonymous
users are sent to sign in). NRU staff read every partnership through the national dashboard, not
here. The decision letter pages are the exception: a letter is the partnership's document, so
anyone who may see the assessment (its officers and chair, the region's reviewers, NRU) may read it.

Views authorise, bind a form, call one service and redirect; a refused or stale action is shown
as a plain message and changes nothing.
"""

from collections import OrderedDict

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views import View

from core.errors import ApplicationError
from partnerships.models import Region, Sector
from performance.selectors import progress_summary_for_requirement

from . import services
from .letters import funding_effects, letter_blocks, letter_pdf, letter_pdf_filename, letter_writer
from .models import (
    AccreditationEvent,
    Cycle,
    Decision,
    EvidenceFile,
    FundingState,
    RequirementResponse,
    SelfAssessment,
    Status,
)
from .permissions import user_is_reviewer
from .review_forms import (
    AccreditForm,
    AccreditWithConcernsForm,
    BulkSelectForm,
    DecisionChooseForm,
    DeferForm,
    QueueFilterForm,
    ResponseRateForm,
    ReturnForm,
    StakeholderViewForm,
)
from .review_selectors import (
    assessments_reviewable_by,
    cycle_default,
    review_queue,
    reviewer_region_ids,
)
from .selectors import assessments_visible_to


class ReviewerRequiredMixin(LoginRequiredMixin):
    """Signed in, and a Government Office reviewer; 404 for everyone else."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not user_is_reviewer(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class AssessmentMixin(ReviewerRequiredMixin):
    """The assessment in the URL, if it is in one of the reviewer's regions (else 404)."""

    def get_assessment(self) -> SelfAssessment:
        return get_object_or_404(assessments_reviewable_by(self.request.user), pk=self.kwargs["pk"])

    def to_detail(self, assessment, anchor: str = ""):
        return redirect(reverse("review:assessment-detail", args=[assessment.pk]) + anchor)

    def refuse(self, error: ApplicationError, assessment):
        messages.error(self.request, error.message)
        return self.to_detail(assessment)


def _can_start(assessment: SelfAssessment, today) -> bool:
    if assessment.status == Status.SUBMITTED:
        return True
    return assessment.status == Status.DEFERRED and bool(
        assessment.review_date and assessment.review_date <= today
    )


# --- Queue ---------------------------------------------------------------------------------------


class QueueView(ReviewerRequiredMixin, View):
    template_name = "review/queue.html"

    def get(self, request):
        cycles = Cycle.objects.order_by("-year_start")
        default = cycle_default()
        form = QueueFilterForm(request.GET or None, cycles=cycles,
                               initial={"cycle": default.pk if default else None})
        cycle, status = default, ""
        if form.is_bound and form.is_valid():
            cycle = form.cleaned_data["cycle"] or default
            status = form.cleaned_data["status"]
        queue = review_queue(user=request.user, cycle=cycle, status=status)
        regions = [str(r) for r in Region.objects.filter(pk__in=reviewer_region_ids(request.user))]
        return render(request, self.template_name, {
            "form": form, "queue": queue, "cycle": cycle, "status": status,
            "regions": regions, "today": timezone.localdate(),
        })


# --- Review page ---------------------------------------------------------------------------------


def _evidence_url(evidence: EvidenceFile) -> str | None:
    """The officer journey's permission-checked download, where it is installed."""
    for args in ([evidence.pk], [evidence.response.assessment_id, evidence.pk]):
        try:
            return reverse("accreditation:evidence-download", args=args)
        except NoReverseMatch:
            continue
    return None


class AssessmentDetailView(AssessmentMixin, View):
    template_name = "review/assessment_detail.html"

    def get(self, request, pk):
        assessment = self.get_assessment()
        today = timezone.localdate()
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


class AssessmentStartView(AssessmentMixin, View):
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
            services.assessment_start_review(assessment=assessment, by=request.user,
                                             expected_version=version)
        except ApplicationError as error:
            return self.refuse(error, assessment)
        messages.success(request, f"You started the review of {assessment.partnership.name}.")
        return self.to_detail(assessment)


class _UnderReviewMixin(AssessmentMixin):
    """Pages that only make sense while the assessment is under review."""

    def check_under_review(self, assessment):
        if assessment.status != Status.UNDER_REVIEW:
            decided = (Status.ACCREDITED, Status.DEFERRED, Status.DRAFT)
            if self.request.method == "POST" and assessment.status in decided:
                # Someone else decided while this page was open: say who and when.
                message = services.conflict_error(assessment).message
            else:
                message = (f"{assessment.partnership.name}'s assessment is "
                           f"{assessment.get_status_display().lower()}, not under review: start "
                           "the review first, or check what has happened to it.")
            messages.error(self.request, message)
            return self.to_detail(assessment)
        return None


class ResponseRateView(_UnderReviewMixin, View):
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
            services.response_go_rate(
                response=response, by=request.user, go_rating=form.cleaned_data["go_rating"],
                go_comment=form.cleaned_data["go_comment"],
                expected_version=form.cleaned_data["version"],
            )
        except services.ConflictError as error:
            return self.refuse(error, assessment)
        except ApplicationError as error:
            form.add_error(None, error.message)
            return self._render(assessment, response, form)
        messages.success(request, f"Your rating of {response.requirement.code} is saved.")
        return self.to_detail(assessment, f"#requirement-{response.requirement.code}")


class StakeholderViewAddView(_UnderReviewMixin, View):
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
                services.stakeholder_view_record(
                    assessment=assessment, by=request.user, organisation=data["organisation"],
                    sector=data["sector"], stance=data["stance"], comment=data["comment"],
                    given_on=data["given_on"], expected_version=data["version"],
                )
            except services.ConflictError as error:
                return self.refuse(error, assessment)
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"The view of {data['organisation']} is recorded.")
                return self.to_detail(assessment, "#stakeholder-views")
        return render(request, self.template_name, {"assessment": assessment, "form": form})


# --- Decisions -----------------------------------------------------------------------------------


class DecisionChooseView(_UnderReviewMixin, View):
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
        return render(request, self.template_name,
                      {"assessment": assessment, "form": DecisionChooseForm()})

    def post(self, request, pk):
        assessment = self.get_assessment()
        if refused := self.check_under_review(assessment):
            return refused
        form = DecisionChooseForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"assessment": assessment, "form": form})
        return redirect(self.targets[form.cleaned_data["outcome"]], pk=assessment.pk)


def _posted_fields(post) -> list[tuple[str, str]]:
    """The form's own fields, to carry through the confirm page as hidden inputs."""
    skip = {"csrfmiddlewaretoken", "confirm", "change", "submit"}
    return [(key, value) for key in post for value in post.getlist(key) if key not in skip]


class _DecisionView(_UnderReviewMixin, View):
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

    def context(self, assessment, **extra):
        return {"assessment": assessment, "title": self.title, **extra}

    def get(self, request, pk):
        assessment = self.get_assessment()
        if refused := self.check_under_review(assessment):
            return refused
        form = self.form_class(requirements=self.requirements(assessment),
                               initial={"version": assessment.version})
        return render(request, self.template_name, self.context(assessment, form=form))

    def post(self, request, pk):
        assessment = self.get_assessment()
        if refused := self.check_under_review(assessment):
            return refused
        form = self.form_class(request.POST, requirements=self.requirements(assessment))
        if not form.is_valid() or "change" in request.POST:
            return render(request, self.template_name, self.context(assessment, form=form))
        data = form.cleaned_data
        if data["version"] != assessment.version:
            return self.refuse(services.conflict_error(assessment), assessment)
        effects = funding_effects(assessment=assessment, funding_state=self.funding_state)
        if self.confirm and "confirm" not in request.POST:
            return render(request, self.confirm_template_name, self.context(
                assessment, form=form, data=data, hidden=_posted_fields(request.POST),
                effects=[(e, e.statement(self.funding_state)) for e in effects],
            ))
        try:
            decided = self.decide(assessment=assessment, data=data, effects=effects)
        except services.ConflictError as error:
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
        return services.assessment_accredit(
            assessment=assessment, by=self.request.user, summary=data["summary"],
            expected_version=data["version"], letter=letter_writer(effects=effects),
        )

    def done_message(self, assessment):
        return f"{assessment.partnership.name} is accredited. The decision letter has been sent."


class AssessmentAccreditWithConcernsView(AssessmentAccreditView):
    form_class = AccreditWithConcernsForm
    title = "Accredit with areas of concern"

    def decide(self, *, assessment, data, effects):
        return services.assessment_accredit(
            assessment=assessment, by=self.request.user, summary=data["summary"],
            concerns=data["concerns"], expected_version=data["version"],
            letter=letter_writer(effects=effects),
        )


class AssessmentDeferView(_DecisionView):
    form_class = DeferForm
    title = "Defer accreditation"
    funding_state = FundingState.DEFERRED

    def decide(self, *, assessment, data, effects):
        return services.assessment_defer(
            assessment=assessment, by=self.request.user, concerns=data["concerns"],
            review_date=data["review_date"], summary=data["summary"],
            expected_version=data["version"], letter=letter_writer(effects=effects),
        )

    def done_message(self, assessment):
        return (f"{assessment.partnership.name}'s accreditation is deferred until its review on "
                f"{assessment.review_date:%-d %B %Y}. The decision letter has been sent.")


class AssessmentReturnView(_DecisionView):
    form_class = ReturnForm
    title = "Return for changes"
    confirm = False

    def decide(self, *, assessment, data, effects):
        return services.assessment_return(
            assessment=assessment, by=self.request.user, reasons=data["reasons"],
            summary=data["summary"], expected_version=data["version"],
            letter=letter_writer(effects=[]),
        )

    def done_message(self, assessment):
        return f"{assessment.partnership.name}'s assessment is returned to the partnership for changes."


# --- Letters -------------------------------------------------------------------------------------


class _LetterMixin(LoginRequiredMixin):
    def get_decision(self) -> Decision:
        return get_object_or_404(
            Decision.objects.filter(assessment__in=assessments_visible_to(self.request.user))
            .select_related("assessment__partnership__local_authority__region",
                            "assessment__cycle", "decided_by"),
            pk=self.kwargs["pk"],
        )


class DecisionLetterView(_LetterMixin, View):
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
    def get(self, request, pk):
        decision = self.get_decision()
        if not decision.letter:
            raise Http404
        response = HttpResponse(letter_pdf(decision), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{letter_pdf_filename(decision)}"'
        return response


# --- Bulk accreditation --------------------------------------------------------------------------


class BulkAccreditView(ReviewerRequiredMixin, View):
    """Select several assessments under review whose ratings are all green or agreed, check the
    summary, and accredit them in one action (each with its own decision, event and letter)."""

    template_name = "review/bulk_select.html"
    confirm_template_name = "review/bulk_confirm.html"

    def _candidates(self):
        under_review = list(
            assessments_reviewable_by(self.request.user).filter(status=Status.UNDER_REVIEW)
            .prefetch_related("responses").order_by("partnership__name")
        )
        eligible = [a for a in under_review if services.assessment_bulk_accreditable(a)]
        return eligible, [a for a in under_review if a not in eligible]

    def get(self, request):
        eligible, others = self._candidates()
        return render(request, self.template_name, {
            "form": BulkSelectForm(eligible=eligible), "eligible": eligible, "others": others,
        })

    def post(self, request):
        eligible, others = self._candidates()
        form = BulkSelectForm(request.POST, eligible=eligible)
        if not form.is_valid() or "change" in request.POST:
            return render(request, self.template_name,
                          {"form": form, "eligible": eligible, "others": others})
        chosen = [a for a in eligible if str(a.pk) in set(form.cleaned_data["assessments"])]
        versions = {}
        for a in chosen:
            try:
                versions[a.pk] = int(request.POST.get(f"version_{a.pk}", ""))
            except ValueError:
                versions[a.pk] = -1
        stale = [a for a in chosen if versions[a.pk] != a.version]
        if stale:
            messages.error(request, "; ".join(services.conflict_error(a).message for a in stale))
            return redirect("review:bulk-accredit")
        effects = {a.pk: funding_effects(assessment=a, funding_state=FundingState.ACCREDITED)
                   for a in chosen}
        if "confirm" not in request.POST:
            return render(request, self.confirm_template_name, {
                "rows": [(a, [e.statement(FundingState.ACCREDITED) for e in effects[a.pk]])
                         for a in chosen],
                "hidden": _posted_fields(request.POST),
            })
        try:
            done = services.assessments_accredit_bulk(
                items=[services.BulkItem(assessment=a, expected_version=versions[a.pk],
                                         letter=letter_writer(effects=effects[a.pk]))
                       for a in chosen],
                by=request.user,
            )
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("review:bulk-accredit")
        names = ", ".join(a.partnership.name for a in done)
        messages.success(request, f"Accredited {len(done)}: {names}. Their decision letters have been sent.")
        return redirect("review:queue")
