"""Check your answers (the officer asks the chair to sign off), the chair's sign-off and
submission, and the confirmation."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from core.errors import ApplicationError
from partnerships.models import Member
from partnerships.selectors import members_missing_key_sectors

from ..forms import SignOffForm, SignOffRequestForm
from ..models import SelfAssessment, Status
from ..permissions import can_edit_assessment, can_sign_off, user_is_lsp_chair, user_is_lsp_officer
from ..selectors import assessment_submission_blockers, responses_with_evidence
from ..services.drafting import assessment_sign_off_request, assessment_submit
from ..services.transitions import ConflictError
from .lsp_base import LspAssessmentMixin, sign_off_is_requested


def _answers_context(assessment: SelfAssessment) -> dict:
    members = list(Member.objects.filter(partnership=assessment.partnership))
    return {
        "responses": responses_with_evidence(assessment),
        "progress": list(assessment.concern_progress.select_related("concern__requirement")),
        "members": members,
        "chair_member": next((m for m in members if m.role == Member.Role.CHAIR), None),
        "missing_sectors": members_missing_key_sectors(assessment.partnership),
    }


def _blocker_links(assessment: SelfAssessment, blockers) -> list[tuple[str, str]]:
    links = []
    for b in blockers:
        if b.key.startswith("concern-"):
            href = (reverse("accreditation:concern-progress", args=[assessment.pk])
                    + f"#id_progress_{b.key.removeprefix('concern-')}")
        else:
            href = reverse("accreditation:response-edit", args=[assessment.pk, b.key])
        links.append((b.message, href))
    return links


class AssessmentCheckView(LspAssessmentMixin, View):
    """Check your answers, with change links; the officer then asks the chair to sign off."""

    template_name = "accreditation/assessment_check.html"

    def _render(self, request, *, errors=(), status=200):
        a = self.assessment
        blockers = assessment_submission_blockers(a) if a.status == Status.DRAFT else []
        return render(request, self.template_name, {
            "assessment": a,
            "editable": can_edit_assessment(request.user, a),
            "is_chair": can_sign_off(request.user, a),
            "blockers": _blocker_links(a, blockers),
            "errors": errors,
            "requested": sign_off_is_requested(a),
            **_answers_context(a),
        }, status=status)

    def get(self, request, pk):
        return self._render(request)

    def post(self, request, pk):
        a = self.assessment
        if not user_is_lsp_officer(request.user, a.partnership_id):
            raise Http404("Only the partnership's officers ask for sign-off")
        form = SignOffRequestForm(request.POST)
        if not form.is_valid():
            return self._render(request, errors=[("The page was out of date: check your answers "
                                                  "and try again", "#answers")])
        try:
            assessment_sign_off_request(assessment=a, by=request.user,
                                        expected_version=form.cleaned_data["version"])
        except ApplicationError as error:
            self.assessment = SelfAssessment.objects.select_related(
                "partnership__local_authority__region", "cycle").get(pk=a.pk)
            blockers = error.extra.get("blockers")
            errors = (_blocker_links(self.assessment, blockers) if blockers
                      else [(error.message, "#answers")])
            return self._render(request, errors=errors,
                                status=409 if isinstance(error, ConflictError) else 200)
        messages.success(request, "Your answers are ready. The partnership's chair can now sign "
                                  "off and submit the self-assessment.")
        return redirect("accreditation:assessment-tasks", pk=pk)


class AssessmentSignOffView(LspAssessmentMixin, View):
    """The chair reads the answers, confirms the declaration, and submits."""

    template_name = "accreditation/assessment_sign_off.html"

    def _render(self, request, form, *, errors=(), status=200):
        a = self.assessment
        blockers = assessment_submission_blockers(a)
        return render(request, self.template_name, {
            "assessment": a, "form": form, "errors": errors,
            "blockers": _blocker_links(a, blockers), **_answers_context(a),
        }, status=status)

    def _check_chair(self, request):
        if not user_is_lsp_chair(request.user, self.assessment.partnership_id):
            raise Http404("Only the partnership's chair signs off")

    def get(self, request, pk):
        self._check_chair(request)
        if not self.assessment.is_editable_by_lsp:
            return redirect("accreditation:assessment-submitted", pk=pk)
        return self._render(request, SignOffForm(initial={"version": self.assessment.version}))

    def post(self, request, pk):
        self._check_chair(request)
        a = self.assessment
        form = SignOffForm(request.POST)
        if not a.is_editable_by_lsp and a.signed_off_by_id == request.user.pk:
            return redirect("accreditation:assessment-submitted", pk=pk)  # a repeated click
        if not form.is_valid():
            return self._render(request, form)
        try:
            assessment_submit(assessment=a, by=request.user,
                              expected_version=form.cleaned_data["version"])
        except ApplicationError as error:
            self.assessment = SelfAssessment.objects.select_related(
                "partnership__local_authority__region", "cycle").get(pk=a.pk)
            blockers = error.extra.get("blockers")
            errors = (_blocker_links(self.assessment, blockers) if blockers
                      else [(error.message, "#answers")])
            if isinstance(error, ConflictError) and self.assessment.is_editable_by_lsp:
                errors = [("The answers changed after you opened this page. Read them again "
                           "below, then confirm", "#answers")]
            form = SignOffForm(initial={"version": self.assessment.version})
            return self._render(request, form, errors=errors,
                                status=409 if isinstance(error, ConflictError) else 200)
        return redirect("accreditation:assessment-submitted", pk=pk)


class AssessmentSubmittedView(LspAssessmentMixin, TemplateView):
    template_name = "accreditation/assessment_submitted.html"

    def get(self, request, *args, **kwargs):
        if self.assessment.status == Status.DRAFT:
            return redirect("accreditation:assessment-tasks", pk=self.assessment.pk)
        return super().get(request, *args, **kwargs)
