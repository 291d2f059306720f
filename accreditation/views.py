"""The partnership's pages: its home (cycles and money), the task list of a self-assessment,
each requirement (with autosave and evidence), progress on last cycle's areas of concern, check
your answers, the chair's sign-off, the decision and letter, and the history.

Every page is for an officer or the chair of the assessment's partnership; anyone else gets
404. Views authorise, bind a form, call one service and redirect; the services decide.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from core.errors import ApplicationError
from core.money import pounds
from funding.models import Allocation, ReleasePolicy
from funding.selectors import allocation_figures
from partnerships.models import PARTNERSHIP_ROLES, Member, Partnership
from partnerships.selectors import (
    key_sectors_missing,
    members_missing_key_sectors,
    partnerships_visible_to,
)
from performance.selectors import progress_summary_for_requirement

from . import services
from .forms import ConcernProgressForm, ResponseForm, SignOffForm, SignOffRequestForm
from .models import (
    Cycle,
    Decision,
    EvidenceFile,
    FundingState,
    RequirementResponse,
    SelfAssessment,
    Status,
)
from .permissions import (
    can_edit_assessment,
    can_sign_off,
    can_view_assessment,
    user_is_lsp_chair,
    user_is_lsp_officer,
)
from .selectors import assessment_timeline, assessments_visible_to

# The inclusiveness requirement ("Inclusive of all key players") is R2 in every cycle so far.
INCLUSIVENESS_CODE = "R2"

NOT_STARTED, IN_PROGRESS, COMPLETED, CANNOT_START = (
    "not_started", "in_progress", "completed", "cannot_start")
TASK_STATUS_LABELS = {NOT_STARTED: "Not started", IN_PROGRESS: "In progress",
                      COMPLETED: "Completed", CANNOT_START: "Cannot start yet"}


def assessment_for_lsp(user, pk) -> SelfAssessment:
    """The assessment, if the user is an officer or the chair of its partnership; else 404."""
    assessment = assessments_visible_to(user).filter(pk=pk).first()
    if assessment is None or not can_view_assessment(user, assessment):
        raise Http404("No such self-assessment")
    return assessment


class AssessmentPageMixin(LoginRequiredMixin):
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


def _sign_off_is_requested(assessment: SelfAssessment) -> bool:
    """Asked since the last submission (a return for changes needs a fresh request)."""
    requested = assessment.sign_off_requested_at
    return bool(requested) and (assessment.submitted_at is None or requested > assessment.submitted_at)


def _responses(assessment: SelfAssessment) -> list[RequirementResponse]:
    return list(
        assessment.responses.select_related("requirement", "carried_forward_from__assessment__cycle")
        .prefetch_related(Prefetch("evidence_files", queryset=EvidenceFile.objects.order_by(
            "uploaded_at", "id")))
        .order_by("requirement__order")
    )


# --- Home ----------------------------------------------------------------------------------------


@dataclass
class CycleRow:
    cycle: Cycle
    assessment: SelfAssessment | None
    status_value: str
    status_label: str
    action_label: str = ""
    action_url: str = ""
    start_form: bool = False
    note: str = ""


@dataclass
class PartnershipHome:
    partnership: Partnership
    is_officer: bool
    is_chair: bool
    rows: list[CycleRow] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)


class LspHomeView(LoginRequiredMixin, TemplateView):
    """An LSP officer's or chair's home: their partnership's cycles and money."""

    template_name = "accreditation/assessment_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        partnerships = list(partnerships_visible_to(user).filter(
            role_assignments__user=user, role_assignments__role__in=PARTNERSHIP_ROLES).distinct())
        if not partnerships:
            raise Http404("Not an officer or chair of a partnership")
        today = timezone.localdate()
        cycles = list(Cycle.objects.filter(opens_on__lte=today).order_by("-year_start"))
        assessments = {
            (a.partnership_id, a.cycle_id): a
            for a in SelfAssessment.objects.filter(partnership__in=partnerships)
            .annotate(incomplete=Count("responses", filter=Q(responses__self_rating="")
                                       | Q(responses__case="")))
        }
        figures = allocation_figures(
            allocations=Allocation.objects.filter(partnership__in=partnerships)
            .select_related("fund", "year", "source").order_by("year__start_year", "fund__code")
        )
        by_partnership: dict[int, list[Allocation]] = {}
        for allocation in figures:
            by_partnership.setdefault(allocation.partnership_id, []).append(allocation)
        homes = []
        for partnership in partnerships:
            home = PartnershipHome(
                partnership=partnership,
                is_officer=user_is_lsp_officer(user, partnership.pk),
                is_chair=user_is_lsp_chair(user, partnership.pk),
                allocations=by_partnership.get(partnership.pk, []),
            )
            for cycle in cycles:
                home.rows.append(_cycle_row(home, cycle, assessments.get((partnership.pk, cycle.pk))))
            homes.append(home)
        context = super().get_context_data(**kwargs)
        context["homes"] = homes
        return context


def _cycle_row(home: PartnershipHome, cycle: Cycle, assessment: SelfAssessment | None) -> CycleRow:
    if assessment is None:
        row = CycleRow(cycle, None, "not_started", "Not started")
        if home.is_officer:
            row.action_label, row.start_form = "Start self-assessment", True
        else:
            row.note = "The partnership's officer has not started it yet."
        return row
    tasks_url = reverse("accreditation:assessment-tasks", args=[assessment.pk])
    row = CycleRow(cycle, assessment, assessment.status, assessment.get_status_display())
    if assessment.status == Status.DRAFT:
        returned = assessment.submitted_at is not None
        if returned:
            row.status_value, row.status_label = "returned", "Returned for changes"
        if home.is_chair and assessment.incomplete == 0:
            row.action_label = "Sign off and submit"
            row.action_url = reverse("accreditation:assessment-sign-off", args=[assessment.pk])
            if _sign_off_is_requested(assessment):
                row.note = "The officer has asked you to sign off."
        elif home.is_officer:
            row.action_label = ("Make the changes asked for" if returned
                                else "Continue self-assessment")
            row.action_url = tasks_url
        else:
            row.action_label, row.action_url = "View progress", tasks_url
    elif assessment.status in (Status.SUBMITTED, Status.UNDER_REVIEW):
        row.action_label, row.action_url = "View your answers", tasks_url
        row.note = "With the Government Office."
    else:
        row.action_label = "Read the decision"
        row.action_url = reverse("accreditation:assessment-decision", args=[assessment.pk])
        if assessment.status == Status.DEFERRED and assessment.review_date:
            row.note = f"Review on {assessment.review_date:%-d %B %Y}."
    return row


class AssessmentStartView(LoginRequiredMixin, View):
    """POST: start (or return to) the partnership's self-assessment for a cycle."""

    def post(self, request, partnership_pk, cycle_pk):
        partnership = get_object_or_404(partnerships_visible_to(request.user), pk=partnership_pk)
        if not user_is_lsp_officer(request.user, partnership.pk):
            raise Http404("Not an officer of this partnership")
        cycle = get_object_or_404(Cycle, pk=cycle_pk)
        try:
            assessment = services.assessment_start(partnership=partnership, cycle=cycle,
                                                   by=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("accreditation:home")
        return redirect("accreditation:assessment-tasks", pk=assessment.pk)


# --- Task list -----------------------------------------------------------------------------------


@dataclass
class Task:
    name: str
    status: str
    href: str = ""
    hint: str = ""
    slug: str = ""

    @property
    def status_label(self) -> str:
        return TASK_STATUS_LABELS[self.status]


def _requirement_status(response: RequirementResponse) -> str:
    if response.is_complete:
        return COMPLETED
    if response.self_rating or response.case.strip() or response.evidence_files.all():
        return IN_PROGRESS
    return NOT_STARTED


def _membership_status(members: list[Member], missing: list[str], note: str) -> str:
    if not members:
        return NOT_STARTED
    has_chair = any(m.role == Member.Role.CHAIR for m in members)
    return COMPLETED if has_chair and (not missing or note.strip()) else IN_PROGRESS


class AssessmentTasksView(AssessmentPageMixin, TemplateView):
    template_name = "accreditation/assessment_tasks.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        a = self.assessment
        user = self.request.user
        responses = _responses(a)
        progress = list(a.concern_progress.select_related("concern__requirement",
                                                          "concern__decision__assessment__cycle"))
        members = list(Member.objects.filter(partnership=a.partnership))
        missing = key_sectors_missing({m.sector for m in members})
        blockers = (services.assessment_submission_blockers(a, responses=responses,
                                                            progress=progress)
                    if a.status == Status.DRAFT else [])

        requirement_tasks = []
        for r in responses:
            hints = []
            if r.return_reason and a.status == Status.DRAFT:
                hints.append(f"The Government Office asked for changes: {r.return_reason}")
            elif r.carried_forward_from_id and r.version == 1:
                hints.append(f"Carried forward from your {r.carried_forward_from.assessment.cycle} "
                             "answer: check it is still right")
            requirement_tasks.append(Task(
                f"{r.requirement.code} {r.requirement.title}", _requirement_status(r),
                reverse("accreditation:response-edit", args=[a.pk, r.requirement.code]),
                " ".join(hints), slug=f"requirement-{r.requirement.code}",
            ))
        concern_task = None
        if progress:
            done = sum(1 for p in progress if p.progress.strip())
            previous_cycle = progress[0].concern.decision.assessment.cycle
            concern_task = Task(
                f"Progress on the areas of concern from {previous_cycle}",
                COMPLETED if done == len(progress) else IN_PROGRESS if done else NOT_STARTED,
                reverse("accreditation:concern-progress", args=[a.pk]),
                f"{done} of {len(progress)} reported", slug="concerns",
            )
        files = sum(len(r.evidence_files.all()) for r in responses)
        partnership_tasks = [
            Task("Partnership membership", _membership_status(members, missing, a.inclusiveness_note),
                 reverse("partnerships:member-list", args=[a.partnership.slug]),
                 (f"No member from the {', '.join(missing)} sector{'s' if len(missing) > 1 else ''}"
                  if missing and members else ""), slug="membership"),
            Task("Evidence", COMPLETED if files else NOT_STARTED,
                 reverse("accreditation:evidence-list", args=[a.pk]),
                 f"{files} file{'s' if files != 1 else ''} attached" if files
                 else "Attach files on each requirement's page", slug="evidence"),
        ]
        submitted = a.status != Status.DRAFT
        requested = _sign_off_is_requested(a)
        check = Task("Check your answers",
                     COMPLETED if submitted or requested else CANNOT_START if blockers else NOT_STARTED,
                     reverse("accreditation:assessment-check", args=[a.pk]), slug="check")
        if check.status == CANNOT_START:
            check.href = ""
        chair = can_sign_off(user, a)
        if submitted:
            sign_off = Task("Sign-off and submit", COMPLETED, "",
                            f"Signed off by {a.signed_off_by} on {a.submitted_at:%-d %B %Y}"
                            if a.signed_off_by else "", slug="sign-off")
        elif blockers or not (requested or chair):
            sign_off = Task("Sign-off and submit", CANNOT_START, slug="sign-off")
        elif chair:
            sign_off = Task("Sign-off and submit", NOT_STARTED,
                            reverse("accreditation:assessment-sign-off", args=[a.pk]),
                            "The officer has asked you to sign off" if requested else "",
                            slug="sign-off")
        else:
            sign_off = Task("Sign-off and submit", IN_PROGRESS, "",
                            "Waiting for the partnership's chair to sign off", slug="sign-off")
        sections = [("Key requirements", requirement_tasks)]
        if concern_task:
            sections.append(("Last year's areas of concern", [concern_task]))
        sections += [("The partnership", partnership_tasks), ("Submit", [check, sign_off])]
        all_tasks = [t for _, tasks in sections for t in tasks]
        context.update(
            sections=sections,
            completed=sum(1 for t in all_tasks if t.status == COMPLETED),
            total=len(all_tasks),
            returned_decision=(a.decisions.filter(outcome=Decision.Outcome.RETURNED)
                               .order_by("-decided_at").first()
                               if a.status == Status.DRAFT and a.submitted_at else None),
        )
        return context


# --- A requirement -------------------------------------------------------------------------------


class ResponseEditView(AssessmentPageMixin, View):
    """One requirement: rating, case, evidence. Read-only unless an officer and a draft."""

    def _load(self, code: str) -> RequirementResponse:
        response = (
            self.assessment.responses.select_related("requirement")
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
            "missing_sectors": missing,
            "position": index + 1,
            "count": len(codes),
            "next_code": codes[index + 1] if index + 1 < len(codes) else None,
            "autosave_url": reverse("accreditation:response-autosave",
                                    args=[a.pk, response.requirement.code]),
            "word_limit": services.CASE_WORD_LIMIT,
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
            saved = services.response_save(
                response=response, by=request.user, self_rating=data["self_rating"],
                case=data["case"], expected_version=data["version"],
                inclusiveness_note=data.get("inclusiveness_note") if form.ask_inclusiveness else None,
            )
        except services.ConflictError as error:
            return self._conflict(request, response, form, error)
        except ApplicationError as error:
            form.add_error(error.extra.get("field") if error.extra.get("field") in form.fields
                           else None, error.message)
            return self._render(request, response, form)

        upload = data.get("evidence")
        if upload is not None:
            try:
                attached = services.evidence_attach(response=saved, by=request.user, upload=upload)
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
                    services.evidence_remove(evidence=evidence, by=request.user)
                except ApplicationError as error:
                    messages.error(request, error.message)
                else:
                    messages.success(request, f"{evidence.original_name} has been removed")
            return redirect(_fragment(request.path, "evidence"))
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
            saved = services.response_save(
                response=response, by=request.user, self_rating=data["self_rating"],
                case=data["case"], expected_version=data["version"],
                inclusiveness_note=data.get("inclusiveness_note") if ask else None,
            )
        except services.ConflictError as error:
            return JsonResponse({"message": error.message}, status=409)
        except ApplicationError as error:
            return JsonResponse({"message": f"Not saved: {error.message}"}, status=400)
        at = timezone.localtime(saved.updated_at)
        return JsonResponse({"version": saved.version, "saved_at": f"{at:%H:%M}",
                             "message": f"Saved at {at:%H:%M}"})


# --- Evidence ------------------------------------------------------------------------------------


class EvidenceListView(AssessmentPageMixin, TemplateView):
    template_name = "accreditation/evidence_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        responses = _responses(self.assessment)
        total = sum(f.size for r in responses for f in r.evidence_files.all())
        from .evidence import MAX_ASSESSMENT_BYTES, megabytes

        context.update(responses=responses, total=megabytes(total) if total else "0 MB",
                       remaining=megabytes(max(0, MAX_ASSESSMENT_BYTES - total)))
        return context


class EvidenceDownloadView(LoginRequiredMixin, View):
    """A file, to anyone who may see its assessment (assessments_visible_to), as an attachment."""

    def get(self, request, pk):
        evidence = get_object_or_404(
            EvidenceFile.objects.filter(
                response__assessment__in=assessments_visible_to(request.user)),
            pk=pk,
        )
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


class ConcernProgressView(AssessmentPageMixin, View):
    template_name = "accreditation/assessment_concerns.html"

    def _items(self):
        return [(p, services.concern_progress_token(p))
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
                services.concern_progress_save(
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


# --- Check your answers, sign-off ----------------------------------------------------------------


def _answers_context(assessment: SelfAssessment) -> dict:
    members = list(Member.objects.filter(partnership=assessment.partnership))
    return {
        "responses": _responses(assessment),
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


class AssessmentCheckView(AssessmentPageMixin, View):
    """Check your answers, with change links; the officer then asks the chair to sign off."""

    template_name = "accreditation/assessment_check.html"

    def _render(self, request, *, errors=(), status=200):
        a = self.assessment
        blockers = services.assessment_submission_blockers(a) if a.status == Status.DRAFT else []
        return render(request, self.template_name, {
            "assessment": a,
            "editable": can_edit_assessment(request.user, a),
            "is_chair": can_sign_off(request.user, a),
            "blockers": _blocker_links(a, blockers),
            "errors": errors,
            "requested": _sign_off_is_requested(a),
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
            services.assessment_sign_off_request(assessment=a, by=request.user,
                                                 expected_version=form.cleaned_data["version"])
        except ApplicationError as error:
            self.assessment = SelfAssessment.objects.select_related(
                "partnership__local_authority__region", "cycle").get(pk=a.pk)
            blockers = error.extra.get("blockers")
            errors = (_blocker_links(self.assessment, blockers) if blockers
                      else [(error.message, "#answers")])
            return self._render(request, errors=errors,
                                status=409 if isinstance(error, services.ConflictError) else 200)
        messages.success(request, "Your answers are ready. The partnership's chair can now sign "
                                  "off and submit the self-assessment.")
        return redirect("accreditation:assessment-tasks", pk=pk)


class AssessmentSignOffView(AssessmentPageMixin, View):
    """The chair reads the answers, confirms the declaration, and submits."""

    template_name = "accreditation/assessment_sign_off.html"

    def _render(self, request, form, *, errors=(), status=200):
        a = self.assessment
        blockers = services.assessment_submission_blockers(a)
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
            services.assessment_submit(assessment=a, by=request.user,
                                       expected_version=form.cleaned_data["version"])
        except ApplicationError as error:
            self.assessment = SelfAssessment.objects.select_related(
                "partnership__local_authority__region", "cycle").get(pk=a.pk)
            blockers = error.extra.get("blockers")
            errors = (_blocker_links(self.assessment, blockers) if blockers
                      else [(error.message, "#answers")])
            if isinstance(error, services.ConflictError) and self.assessment.is_editable_by_lsp:
                errors = [("The answers changed after you opened this page. Read them again "
                           "below, then confirm", "#answers")]
            form = SignOffForm(initial={"version": self.assessment.version})
            return self._render(request, form, errors=errors,
                                status=409 if isinstance(error, services.ConflictError) else 200)
        return redirect("accreditation:assessment-submitted", pk=pk)


class AssessmentSubmittedView(AssessmentPageMixin, TemplateView):
    template_name = "accreditation/assessment_submitted.html"

    def get(self, request, *args, **kwargs):
        if self.assessment.status == Status.DRAFT:
            return redirect("accreditation:assessment-tasks", pk=self.assessment.pk)
        return super().get(request, *args, **kwargs)


# --- After the decision --------------------------------------------------------------------------


def _funding_consequence(assessment: SelfAssessment) -> list[dict]:
    """The allocations this cycle governs, with released and held from the ledger."""
    policies = ReleasePolicy.objects.filter(governing_cycle=assessment.cycle)
    allocations = Allocation.objects.filter(
        partnership=assessment.partnership,
        fund_id__in=policies.values("fund_id"), year_id__in=policies.values("year_id"),
    ).select_related("fund", "year")
    figures = []
    for allocation in allocation_figures(allocations=allocations).order_by("year__start_year",
                                                                          "fund__code"):
        held = allocation.held_pence
        text = f"{pounds(allocation.released_pence)} released"
        if held:
            text += f", {pounds(held)} held" + (
                " until review" if assessment.funding_state == FundingState.DEFERRED else "")
        figures.append({"allocation": allocation, "text": text})
    return figures


class AssessmentDecisionView(AssessmentPageMixin, TemplateView):
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
                       funding=_funding_consequence(a))
        return context


class DecisionLetterView(AssessmentPageMixin, TemplateView):
    """The letter as sent (Decision.letter), on a print-friendly page."""

    template_name = "accreditation/assessment_letter.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        from .letters import letter_blocks

        decision = get_object_or_404(self.assessment.decisions.select_related("decided_by"),
                                     pk=self.kwargs["decision_pk"])
        context.update(decision=decision, blocks=letter_blocks(decision.letter))
        return context


class AssessmentHistoryView(AssessmentPageMixin, TemplateView):
    template_name = "accreditation/assessment_history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["timeline"] = assessment_timeline(self.assessment)
        return context


