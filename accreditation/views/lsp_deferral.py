"""Responding to a deferral, in the same cycle: the response page (each area of concern with the
progress written so far, the answers that may change, what has changed since the decision, and
asking the chair to sign off), the progress on one area of concern (text and files), one answer
the Government Office rated red or amber, and the chair's sign-off.

The officers write; the chair reads and signs off. Anyone else gets 404 (lsp_base). A refusal
by a service (the round was decided meanwhile, the response was already signed off, the
assessment is not deferred) is shown as a message and nothing is written.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from core.errors import ApplicationError
from partnerships.selectors import members_missing_key_sectors

from ..evidence import MAX_ASSESSMENT_BYTES, megabytes
from ..forms import (
    DeferralAnswerForm,
    DeferralProgressForm,
    DeferralSignOffForm,
    DeferralSignOffRequestForm,
)
from ..models import SelfAssessment, Status
from ..permissions import user_is_lsp_chair, user_is_lsp_officer
from ..selectors import (
    assessment_evidence_bytes,
    changes_since,
    deferral_answers,
    deferral_blockers,
    deferral_round,
)
from ..services.deferral import (
    PROGRESS_WORD_LIMIT,
    deferral_answer_save,
    deferral_evidence_attach,
    deferral_evidence_remove,
    deferral_progress_save,
    deferral_sign_off,
    deferral_sign_off_request,
)
from ..services.drafting import CASE_WORD_LIMIT
from ..services.transitions import ConflictError
from .lsp_base import LspAssessmentMixin


def _blocker_links(assessment: SelfAssessment, blockers) -> list[tuple[str, str]]:
    return [
        (b.message, reverse("accreditation:deferral-concern",
                            args=[assessment.pk, b.key.removeprefix("concern-")]))
        for b in blockers
    ]


class _DeferralMixin(LspAssessmentMixin):
    """The response to the assessment's latest deferral, as `self.round`. An assessment that
    was never deferred has nothing to respond to: the partnership is told so."""

    def load_round(self):
        self.assessment = SelfAssessment.objects.select_related(
            "partnership__local_authority__region", "cycle").get(pk=self.assessment.pk)
        self.round = deferral_round(self.assessment)
        return self.round

    def nothing_to_respond_to(self, request):
        messages.error(request, f"There is no deferral to respond to: this self-assessment is "
                                f"{self.assessment.get_status_display().lower()}.")
        return redirect("accreditation:assessment-tasks", pk=self.assessment.pk)

    def editable(self, request) -> bool:
        return self.round.is_open and user_is_lsp_officer(request.user,
                                                          self.assessment.partnership_id)

    def officer_only(self, request):
        if not user_is_lsp_officer(request.user, self.assessment.partnership_id):
            raise Http404("Only the partnership's officers write its response")

    def base_context(self, request) -> dict:
        a = self.assessment
        return {
            "assessment": a, "round": self.round, "decision": self.round.decision,
            "review_date": a.review_date if a.status == Status.DEFERRED
            else self.round.decision.review_date,
            "is_officer": user_is_lsp_officer(request.user, a.partnership_id),
            "is_chair": user_is_lsp_chair(request.user, a.partnership_id),
            "editable": self.editable(request),
        }


class DeferralResponseView(_DeferralMixin, View):
    """The response: every area of concern, the answers that may change, what has changed,
    and (for an officer) asking the chair to sign off."""

    template_name = "accreditation/deferral_response.html"

    def _render(self, request, *, errors=(), status=200):
        a, r = self.assessment, self.round
        blockers = deferral_blockers(r) if r.is_open else []
        return render(request, self.template_name, {
            **self.base_context(request),
            "blockers": _blocker_links(a, blockers), "errors": errors,
            "answers": deferral_answers(a, r.decision),
            "changes": changes_since(r.decision),
            "missing_sectors": members_missing_key_sectors(a.partnership),
            "request_form": DeferralSignOffRequestForm(
                initial={"version": r.version, "decision": r.decision.pk}),
        }, status=status)

    def get(self, request, pk):
        if self.load_round() is None:
            return self.nothing_to_respond_to(request)
        return self._render(request)

    def post(self, request, pk):
        self.officer_only(request)
        if self.load_round() is None:
            return self.nothing_to_respond_to(request)
        form = DeferralSignOffRequestForm(request.POST)
        if not form.is_valid():
            return self._render(request, errors=[(e, "#send") for e in form.non_field_errors()])
        try:
            deferral_sign_off_request(
                assessment=self.assessment, by=request.user,
                expected_version=form.cleaned_data["version"],
                decision_id=form.cleaned_data["decision"],
            )
        except ApplicationError as error:
            self.load_round()
            blockers = error.extra.get("blockers")
            errors = (_blocker_links(self.assessment, blockers) if blockers
                      else [(error.message, "#send")])
            return self._render(request, errors=errors,
                                status=409 if isinstance(error, ConflictError) else 200)
        messages.success(request, "The partnership's chair has been asked to sign off the "
                                  "response and send it to the Government Office.")
        return redirect("accreditation:deferral-response", pk=pk)


class DeferralConcernView(_DeferralMixin, View):
    """The progress on one area of concern, with its files. Read-only unless an officer and the
    round is open."""

    template_name = "accreditation/deferral_concern.html"

    def _item(self, concern_pk):
        item = self.round.item(concern_pk)
        if item is None:
            raise Http404("No such area of concern in this deferral")
        return item

    def _form(self, request, item, data=None, files=None):
        initial = {"progress": item.progress, "version": item.version,
                   "decision": self.round.decision.pk}
        return DeferralProgressForm(data, files, initial=initial, word_limit=PROGRESS_WORD_LIMIT,
                                    editable=data is not None or self.editable(request))

    def _render(self, request, item, form, *, status=200, saved_note=""):
        return render(request, self.template_name, {
            **self.base_context(request), "item": item, "form": form, "files": item.files,
            "saved_note": saved_note,
            "remaining": megabytes(max(0, MAX_ASSESSMENT_BYTES
                                       - assessment_evidence_bytes(self.assessment))),
        }, status=status)

    def get(self, request, pk, concern_pk):
        if self.load_round() is None:
            return self.nothing_to_respond_to(request)
        item = self._item(concern_pk)
        return self._render(request, item, self._form(request, item))

    def post(self, request, pk, concern_pk):
        self.officer_only(request)
        if self.load_round() is None:
            return self.nothing_to_respond_to(request)
        item = self._item(concern_pk)
        form = self._form(request, item, request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, item, form)
        data = form.cleaned_data
        concern = item.concern
        try:
            deferral_progress_save(
                assessment=self.assessment, concern_id=concern.pk, by=request.user,
                text=data["progress"], expected_version=data["version"],
                decision_id=data["decision"],
            )
        except ApplicationError as error:
            return self._refused(request, item, form, error)

        upload, remove_id = data.get("evidence"), request.POST.get("remove", "")
        here = reverse("accreditation:deferral-concern", args=[pk, concern.pk])
        if upload is not None:
            try:
                attached = deferral_evidence_attach(
                    assessment=self.assessment, concern_id=concern.pk, by=request.user,
                    upload=upload, decision_id=data["decision"])
            except ApplicationError as error:
                return self._saved_but(request, concern.pk, error.message)
            messages.success(request, f"{attached.original_name} has been uploaded")
            return redirect(f"{here}#evidence")
        if request.POST.get("action") == "upload":
            return self._saved_but(request, concern.pk, "Select a file to upload")
        if remove_id:
            self.load_round()
            evidence = next((f for f in self._item(concern.pk).files if str(f.pk) == remove_id),
                            None)
            if evidence is not None:
                try:
                    deferral_evidence_remove(evidence=evidence, by=request.user,
                                             decision_id=data["decision"])
                except ApplicationError as error:
                    messages.error(request, error.message)
                else:
                    messages.success(request, f"{evidence.original_name} has been removed")
            return redirect(f"{here}#evidence")
        messages.success(request, f"Your progress on {concern.requirement.code} has been saved")
        return redirect("accreditation:deferral-response", pk=pk)

    def _saved_but(self, request, concern_pk, message: str):
        """The text was saved; the file was not. Say both, on a fresh form."""
        self.load_round()
        item = self._item(concern_pk)
        form = self._form(request, item, {"progress": item.progress, "version": item.version,
                                          "decision": self.round.decision.pk})
        form.is_valid()
        form.add_error("evidence", message)
        return self._render(request, item, form, saved_note="Your progress has been saved.")

    def _refused(self, request, item, form, error: ApplicationError):
        """Keep what was typed; show what is saved now (a stale page) or why nothing can be
        written (the round was decided, or the response signed off)."""
        self.load_round()
        current = self._item(item.concern.pk)
        if isinstance(error, ConflictError) and self.round.is_open:
            data = request.POST.copy()
            data["version"] = str(current.version)
            data["decision"] = str(self.round.decision.pk)
            form = self._form(request, current, data)
            form.is_valid()
        form.add_error(None if error.extra.get("field") != "progress" else "progress",
                       error.message)
        return self._render(request, current, form, status=409
                            if isinstance(error, ConflictError) else 200)


class DeferralAnswerView(_DeferralMixin, View):
    """One answer the Government Office rated red or amber, changed for the response."""

    template_name = "accreditation/deferral_answer.html"

    def _answer(self, code):
        answer = next((a for a in deferral_answers(self.assessment, self.round.decision)
                       if a.requirement.code == code), None)
        if answer is None:
            raise Http404("Not an answer the Government Office rated red or amber")
        return answer

    def _render(self, request, answer, form, *, status=200):
        return render(request, self.template_name, {
            **self.base_context(request), "answer": answer, "requirement": answer.requirement,
            "form": form, "word_limit": CASE_WORD_LIMIT,
        }, status=status)

    def _form(self, request, answer, data=None):
        initial = {"self_rating": answer.self_rating, "case": answer.case,
                   "version": answer.version, "decision": self.round.decision.pk}
        return DeferralAnswerForm(data, initial=initial,
                                  editable=data is not None or self.editable(request))

    def get(self, request, pk, code):
        if self.load_round() is None:
            return self.nothing_to_respond_to(request)
        answer = self._answer(code)
        return self._render(request, answer, self._form(request, answer))

    def post(self, request, pk, code):
        self.officer_only(request)
        if self.load_round() is None:
            return self.nothing_to_respond_to(request)
        answer = self._answer(code)
        form = self._form(request, answer, request.POST)
        if not form.is_valid():
            return self._render(request, answer, form)
        data = form.cleaned_data
        try:
            deferral_answer_save(
                answer=answer, by=request.user, self_rating=data["self_rating"],
                case=data["case"], expected_version=data["version"],
                decision_id=data["decision"],
            )
        except ApplicationError as error:
            field = error.extra.get("field")
            form.add_error(field if field in form.fields else None, error.message)
            return self._render(request, answer, form,
                                status=409 if isinstance(error, ConflictError) else 200)
        messages.success(request, f"Your answer to {answer.requirement.code} has been saved")
        return redirect("accreditation:deferral-response", pk=pk)


class DeferralSignOffView(_DeferralMixin, View):
    """The chair reads the response, confirms the declaration and sends it. An officer is told
    that only the chair can (403), and nothing is written."""

    template_name = "accreditation/deferral_sign_off.html"

    def _render(self, request, form, *, errors=(), status=200, not_chair=False):
        r = self.round
        blockers = deferral_blockers(r) if r.is_open else []
        return render(request, self.template_name, {
            **self.base_context(request), "form": form, "errors": errors,
            "not_chair": not_chair, "blockers": _blocker_links(self.assessment, blockers),
            "answers": deferral_answers(self.assessment, r.decision),
            "changes": changes_since(r.decision),
        }, status=status)

    def _fresh_form(self):
        return DeferralSignOffForm(initial={"version": self.round.version,
                                            "decision": self.round.decision.pk})

    def _not_chair(self, request):
        return self._render(request, None, status=403, not_chair=True, errors=[(
            f"Only the chair of {self.assessment.partnership.name} can sign off its response. "
            "Nothing was changed.", "#response")])

    def get(self, request, pk):
        if self.load_round() is None:
            return self.nothing_to_respond_to(request)
        if not user_is_lsp_chair(request.user, self.assessment.partnership_id):
            return self._not_chair(request)
        if not self.round.is_open:
            return redirect("accreditation:deferral-response", pk=pk)
        return self._render(request, self._fresh_form())

    def post(self, request, pk):
        if self.load_round() is None:
            return self.nothing_to_respond_to(request)
        if not user_is_lsp_chair(request.user, self.assessment.partnership_id):
            return self._not_chair(request)
        form = DeferralSignOffForm(request.POST)
        if not form.is_valid():
            return self._render(request, form)
        try:
            deferral_sign_off(assessment=self.assessment, by=request.user,
                              expected_version=form.cleaned_data["version"],
                              decision_id=form.cleaned_data["decision"])
        except ApplicationError as error:
            self.load_round()
            if not self.round.is_open:
                messages.error(request, error.message)
                return redirect("accreditation:deferral-response", pk=pk)
            blockers = error.extra.get("blockers")
            errors = (_blocker_links(self.assessment, blockers) if blockers
                      else [(error.message, "#response")])
            return self._render(request, self._fresh_form(), errors=errors,
                                status=409 if isinstance(error, ConflictError) else 200)
        messages.success(request, "The response has been signed off and sent to the "
                                  f"{self.assessment.partnership.local_authority.region.government_office}.")
        return redirect("accreditation:deferral-response", pk=pk)
