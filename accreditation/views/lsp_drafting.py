"""The officers' drafting pages: each requirement (rating, case, evidence; with autosave),
the evidence list and download, and progress on last cycle's areas of concern."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Prefetch
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from core.errors import ApplicationError
from partnerships.selectors import members_missing_key_sectors
from performance.selectors import progress_summary_for_requirement

from ..evidence import MAX_ASSESSMENT_BYTES, megabytes
from ..forms import ConcernProgressForm, ResponseForm
from ..models import EvidenceFile, RequirementResponse, SelfAssessment
from ..permissions import can_edit_assessment, user_is_lsp_officer
from ..selectors import (
    answer_needs_check,
    assessment_evidence_bytes,
    evidence_visible_to,
    responses_with_evidence,
)
from ..services.checking import response_confirm
from ..services.drafting import (
    CASE_WORD_LIMIT,
    concern_progress_save,
    concern_progress_token,
    evidence_attach,
    evidence_remove,
    response_save,
)
from ..services.transitions import ConflictError
from .lsp_base import LspAssessmentMixin, assessment_for_lsp

# The inclusiveness requirement ("Inclusive of all key players") is R2 in every cycle so far.
INCLUSIVENESS_CODE = "R2"


class ResponseEditView(LspAssessmentMixin, View):
    """One requirement: rating, case, evidence. Read-only unless an officer and a draft."""

    def _load(self, code: str) -> RequirementResponse:
        response = (
            self.assessment.responses.select_related("requirement",
                                                     "carried_forward_from__assessment__cycle")
            .prefetch_related(Prefetch("evidence_files",
                                       queryset=EvidenceFile.objects.order_by("uploaded_at", "id")))
            .filter(requirement__code=code).first()
        )
        if response is None:
            raise Http404("No such requirement")
        return response

    def _render(self, request, response, form, *, status=200, extra=None):
        a = self.assessment
        codes = list(a.responses.order_by("requirement__order")
                     .values_list("requirement__code", flat=True))
        index = codes.index(response.requirement.code)
        missing = (members_missing_key_sectors(a.partnership)
                   if response.requirement.code == INCLUSIVENESS_CODE else [])
        context = {
            "assessment": a,
            "response": response,
            "requirement": response.requirement,
            "form": form,
            "editable": can_edit_assessment(request.user, a),
            "files": list(response.evidence_files.all()),
            "needs_check": answer_needs_check(response),
            "missing_sectors": missing,
            "position": index + 1,
            "count": len(codes),
            "next_code": codes[index + 1] if index + 1 < len(codes) else None,
            "autosave_url": reverse("accreditation:response-autosave",
                                    args=[a.pk, response.requirement.code]),
            "word_limit": CASE_WORD_LIMIT,
            "progress_summary": progress_summary_for_requirement(requirement=response.requirement,
                                                                 partnership=a.partnership),
            **(extra or {}),
        }
        return render(request, "accreditation/response_edit.html", context, status=status)

    def _form(self, response, data=None, files=None):
        """Bound forms are always editable, so that what was posted is what is shown again
        (even if the assessment left draft meanwhile: the service then says so)."""
        a = self.assessment
        ask = response.requirement.code == INCLUSIVENESS_CODE and (
            bool(members_missing_key_sectors(a.partnership)) or bool(a.inclusiveness_note))
        initial = {"self_rating": response.self_rating, "case": response.case,
                   "version": response.version, "inclusiveness_note": a.inclusiveness_note}
        return ResponseForm(data, files, initial=initial, ask_inclusiveness=ask,
                            editable=data is not None or can_edit_assessment(self.request.user, a))

    def get(self, request, pk, code):
        response = self._load(code)
        return self._render(request, response, self._form(response))

    def post(self, request, pk, code):
        response = self._load(code)
        a = self.assessment
        if not user_is_lsp_officer(request.user, a.partnership_id):
            raise Http404("Only the partnership's officers change answers")
        action = request.POST.get("action", "save")
        remove_id = request.POST.get("remove")
        form = self._form(response, request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, response, form)
        data = form.cleaned_data
        try:
            saved = response_save(
                response=response, by=request.user, self_rating=data["self_rating"],
                case=data["case"], expected_version=data["version"],
                inclusiveness_note=data.get("inclusiveness_note") if form.ask_inclusiveness else None,
            )
        except ConflictError as error:
            return self._conflict(request, response, form, error)
        except ApplicationError as error:
            form.add_error(error.extra.get("field") if error.extra.get("field") in form.fields
                           else None, error.message)
            return self._render(request, response, form)

        upload = data.get("evidence")
        if upload is not None:
            try:
                attached = evidence_attach(response=saved, by=request.user, upload=upload)
            except ApplicationError as error:
                fresh = self._form(self._load(code), _with_version(request.POST, saved.version),
                                   None)
                fresh.is_valid()
                fresh.add_error("evidence", error.message)
                return self._render(request, self._load(code), fresh,
                                    extra={"saved_note": "Your answer has been saved."})
            messages.success(request, f"{attached.original_name} has been uploaded")
            return redirect(_fragment(request.path, "evidence"))
        if action == "upload":
            fresh = self._form(self._load(code), _with_version(request.POST, saved.version), None)
            fresh.is_valid()
            fresh.add_error("evidence", "Select a file to upload")
            return self._render(request, self._load(code), fresh,
                                extra={"saved_note": "Your answer has been saved."})
        if remove_id:
            evidence = saved.evidence_files.filter(pk=remove_id if remove_id.isdigit() else 0).first()
            if evidence is not None:
                try:
                    evidence_remove(evidence=evidence, by=request.user)
                except ApplicationError as error:
                    messages.error(request, error.message)
                else:
                    messages.success(request, f"{evidence.original_name} has been removed")
            return redirect(_fragment(request.path, "evidence"))
        if action == "confirm":
            try:
                response_confirm(response=saved, by=request.user, expected_version=data["version"])
            except ConflictError as error:
                return self._conflict(request, response, form, error)
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, f"The {response.requirement.code} answer is confirmed "
                                          "as still right")
        if action == "later":
            messages.success(request, "Your answers have been saved. You can come back to them "
                                      "at any time before the chair signs off.")
            return redirect("accreditation:assessment-tasks", pk=a.pk)
        next_code = (a.responses.filter(requirement__order__gt=response.requirement.order)
                     .order_by("requirement__order").values_list("requirement__code", flat=True)
                     .first())
        if next_code:
            return redirect("accreditation:response-edit", pk=a.pk, code=next_code)
        messages.success(request, "Your answers have been saved")
        return redirect("accreditation:assessment-tasks", pk=a.pk)

    def _conflict(self, request, response, form, error):
        """Keep what was typed; show what is saved now. The form now carries the current
        version, so saving again (after reading both) is a deliberate overwrite."""
        current = self._load(response.requirement.code)
        a = SelfAssessment.objects.get(pk=self.assessment.pk)
        self.assessment = a
        if a.is_editable_by_lsp:
            form = self._form(current, _with_version(request.POST, current.version), None)
            form.is_valid()
        form.add_error(None, error.message)
        return self._render(request, current, form, status=409, extra={"conflict": current})


def _with_version(post, version: int):
    data = post.copy()
    data["version"] = str(version)
    return data


def _fragment(path: str, fragment: str) -> str:
    return f"{path}#{fragment}"


class ResponseAutosaveView(View):
    """POST from autosave.js: saves the rating and case, answers JSON.

    200 saved (with the new version and the time); 400 input refused; 401 signed out;
    404 not this user's; 409 changed elsewhere or no longer a draft (nothing saved).
    """

    http_method_names = ["post"]

    def post(self, request, pk, code):
        if not request.user.is_authenticated:
            return JsonResponse({"message": "You have been signed out, so your latest changes have "
                                            "not been saved. Copy your text, then sign in again."},
                                status=401)
        assessment = assessment_for_lsp(request.user, pk)
        if not user_is_lsp_officer(request.user, assessment.partnership_id):
            return JsonResponse({"message": "Only the partnership's officers can change answers."},
                                status=403)
        response = assessment.responses.select_related("requirement").filter(
            requirement__code=code).first()
        if response is None:
            raise Http404("No such requirement")
        ask = code == INCLUSIVENESS_CODE and "inclusiveness_note" in request.POST
        form = ResponseForm(request.POST, ask_inclusiveness=ask)
        del form.fields["evidence"]
        if not form.is_valid():
            errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
            first = next(iter(errors.values()))[0]
            return JsonResponse({"message": f"Not saved: {first}", "errors": errors}, status=400)
        data = form.cleaned_data
        try:
            saved = response_save(
                response=response, by=request.user, self_rating=data["self_rating"],
                case=data["case"], expected_version=data["version"],
                inclusiveness_note=data.get("inclusiveness_note") if ask else None,
            )
        except ConflictError as error:
            return JsonResponse({"message": error.message}, status=409)
        except ApplicationError as error:
            return JsonResponse({"message": f"Not saved: {error.message}"}, status=400)
        at = timezone.localtime(saved.updated_at)
        return JsonResponse({"version": saved.version, "saved_at": f"{at:%H:%M}",
                             "message": f"Saved at {at:%H:%M}"})


# --- Evidence ------------------------------------------------------------------------------------


class EvidenceListView(LspAssessmentMixin, TemplateView):
    template_name = "accreditation/evidence_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        responses = responses_with_evidence(self.assessment)
        total = assessment_evidence_bytes(self.assessment)  # with any response to a deferral
        context.update(responses=responses, total=megabytes(total) if total else "0 MB",
                       remaining=megabytes(max(0, MAX_ASSESSMENT_BYTES - total)))
        return context


class EvidenceDownloadView(LoginRequiredMixin, View):
    """A file, to anyone who may see its assessment (assessments_visible_to), as an attachment."""

    def get(self, request, pk):
        evidence = get_object_or_404(evidence_visible_to(request.user), pk=pk)
        try:
            handle = evidence.file.open("rb")
        except (FileNotFoundError, ValueError):
            raise Http404("The file is missing") from None
        response = FileResponse(handle, as_attachment=True, filename=evidence.original_name,
                                content_type=evidence.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


# --- Progress on last cycle's concerns -----------------------------------------------------------


class ConcernProgressView(LspAssessmentMixin, View):
    template_name = "accreditation/assessment_concerns.html"

    def _items(self):
        return [(p, concern_progress_token(p))
                for p in self.assessment.concern_progress.select_related(
                    "concern__requirement", "concern__decision__assessment__cycle")]

    def _render(self, request, form, status=200):
        items = form.items
        return render(request, self.template_name, {
            "assessment": self.assessment, "form": form,
            "editable": can_edit_assessment(request.user, self.assessment),
            "previous_cycle": items[0][0].concern.decision.assessment.cycle if items else None,
        }, status=status)

    def get(self, request, pk):
        items = self._items()
        if not items:
            raise Http404("No areas of concern to report on")
        return self._render(request, ConcernProgressForm(items=items))

    def post(self, request, pk):
        items = self._items()
        if not items:
            raise Http404("No areas of concern to report on")
        if not user_is_lsp_officer(request.user, self.assessment.partnership_id):
            raise Http404("Only the partnership's officers change answers")
        form = ConcernProgressForm(request.POST, items=items)
        if not form.is_valid():
            return self._render(request, form)
        failed = False
        for progress, name in form.items:
            try:
                concern_progress_save(
                    progress=progress, by=request.user, text=form.cleaned_data[name],
                    expected_token=form.cleaned_data.get(f"token_{progress.pk}", ""),
                )
            except ApplicationError as error:
                form.add_error(name, error.message)
                failed = True
        if failed:
            return self._render(request, form, status=409)
        messages.success(request, "Your progress reports have been saved")
        return redirect("accreditation:assessment-tasks", pk=pk)
