"""The task list of a self-assessment: each requirement, last cycle's areas of concern, the
partnership's membership and evidence, checking the answers and the chair's sign-off."""

from dataclasses import dataclass

from django.urls import reverse
from django.views.generic import TemplateView

from partnerships.models import Member
from partnerships.selectors import key_sectors_missing

from ..models import Decision, RequirementResponse, SelfAssessment, Status
from ..permissions import can_sign_off
from ..selectors import (
    answer_needs_check,
    assessment_submission_blockers,
    responses_with_evidence,
)
from .lsp_base import LspAssessmentMixin, draft_status, sign_off_is_requested

NOT_STARTED, IN_PROGRESS, COMPLETED, CANNOT_START, CHECK_AGAIN = (
    "not_started", "in_progress", "completed", "cannot_start", "check_again")
TASK_STATUS_LABELS = {NOT_STARTED: "Not started", IN_PROGRESS: "In progress",
                      COMPLETED: "Completed", CANNOT_START: "Cannot start yet",
                      CHECK_AGAIN: "Check again"}


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
    if answer_needs_check(response):  # carried forward, not yet confirmed or edited
        return CHECK_AGAIN
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


class AssessmentTasksView(LspAssessmentMixin, TemplateView):
    template_name = "accreditation/assessment_tasks.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(task_list(self.assessment, self.request.user))
        return context


def task_list(a: SelfAssessment, user) -> dict:
    """The task list of an assessment as `user` sees it: its sections of tasks, how many are
    completed of the total, the draft's status and any return for changes (the task list page
    and the home page's count)."""
    responses = responses_with_evidence(a)
    progress = list(a.concern_progress.select_related("concern__requirement",
                                                      "concern__decision__assessment__cycle"))
    members = list(Member.objects.filter(partnership=a.partnership))
    missing = key_sectors_missing({m.sector for m in members})
    blockers = (assessment_submission_blockers(a, responses=responses, progress=progress)
                if a.status == Status.DRAFT else [])

    requirement_tasks = []
    for r in responses:
        hints = []
        if r.return_reason and a.status == Status.DRAFT:
            hints.append(f"The Government Office asked for changes: {r.return_reason}")
        elif answer_needs_check(r):
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
    requested = sign_off_is_requested(a)
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
    status_value, status_label = draft_status(a)
    return {
        "status_value": status_value, "status_label": status_label,
        "sections": sections,
        "completed": sum(1 for t in all_tasks if t.status == COMPLETED),
        "total": len(all_tasks),
        "returned_decision": (a.decisions.filter(outcome=Decision.Outcome.RETURNED)
                           .order_by("-decided_at").first()
                           if a.status == Status.DRAFT and a.submitted_at else None),
    }
