"""The partnership's home: its cycles (start, continue, sign off, read the decision) and its
money; and starting a self-assessment."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from core import clock
from core.errors import ApplicationError
from partnerships.models import PARTNERSHIP_ROLES, Partnership
from partnerships.selectors import partnerships_visible_to

from ..models import Cycle, DeferralResponse, SelfAssessment, Status
from ..permissions import user_is_lsp_chair, user_is_lsp_officer
from ..services.drafting import assessment_start
from .lsp_base import draft_status, sign_off_is_requested
from .lsp_money import partnership_allocations


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
    deadline_ahead: bool = False  # the submission deadline is still to come (and matters)


@dataclass
class PartnershipHome:
    partnership: Partnership
    is_officer: bool
    is_chair: bool
    rows: list[CycleRow] = field(default_factory=list)
    allocations: list = field(default_factory=list)  # with figures (lsp_money)


class LspHomeView(LoginRequiredMixin, TemplateView):
    """An LSP officer's or chair's home: their partnership's cycles and money."""

    template_name = "accreditation/assessment_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        partnerships = list(partnerships_visible_to(user).filter(
            role_assignments__user=user, role_assignments__role__in=PARTNERSHIP_ROLES).distinct())
        if not partnerships:
            raise Http404("Not an officer or chair of a partnership")
        today = clock.today()
        cycles = list(Cycle.objects.filter(opens_on__lte=today).order_by("-year_start"))
        assessments = {
            (a.partnership_id, a.cycle_id): a
            for a in SelfAssessment.objects.filter(partnership__in=partnerships)
            .annotate(incomplete=Count("responses", filter=Q(responses__self_rating="")
                                       | Q(responses__case="")))
        }
        # Responses to a deferral waiting for the chair's sign-off (one query, if any deferred).
        deferred = [a.pk for a in assessments.values() if a.status == Status.DEFERRED]
        asked = set(DeferralResponse.objects.filter(
            assessment_id__in=deferred, signed_off_at__isnull=True,
            sign_off_requested_at__isnull=False).values_list("assessment_id", flat=True)
        ) if deferred else set()
        for a in assessments.values():
            a.response_sign_off_requested = a.pk in asked
        by_partnership = partnership_allocations(partnerships)
        homes = []
        for partnership in partnerships:
            home = PartnershipHome(
                partnership=partnership,
                is_officer=user_is_lsp_officer(user, partnership.pk),
                is_chair=user_is_lsp_chair(user, partnership.pk),
                allocations=by_partnership.get(partnership.pk, []),
            )
            for cycle in cycles:
                row = _cycle_row(home, cycle, assessments.get((partnership.pk, cycle.pk)))
                row.deadline_ahead = (cycle.submission_deadline >= today
                                      and (row.assessment is None
                                           or row.assessment.status == Status.DRAFT))
                home.rows.append(row)
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
        row.status_value, row.status_label = draft_status(assessment)
        if home.is_chair and assessment.incomplete == 0:
            row.action_label = "Sign off and submit"
            row.action_url = reverse("accreditation:assessment-sign-off", args=[assessment.pk])
            if sign_off_is_requested(assessment):
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
    elif assessment.status == Status.DEFERRED:
        review = (f"Review on {assessment.review_date:%-d %B %Y}, "
                  f"{clock.days_phrase(assessment.review_date)}.")
        respond_url = reverse("accreditation:deferral-response", args=[assessment.pk])
        if home.is_chair and assessment.response_sign_off_requested:
            row.action_label = "Sign off the response to the areas of concern"
            row.action_url = reverse("accreditation:deferral-sign-off", args=[assessment.pk])
            row.note = f"The officer has asked you to sign off. {review}"
        elif home.is_officer:
            row.action_label, row.action_url = "Respond to the areas of concern", respond_url
            row.note = review
        else:
            row.action_label, row.action_url = "Read the response so far", respond_url
            row.note = review
    elif assessment.status == Status.RESPONSE_RECEIVED:
        row.action_label = "Read the response"
        row.action_url = reverse("accreditation:deferral-response", args=[assessment.pk])
        row.note = (f"Sent to the Government Office for the review on "
                    f"{assessment.review_date:%-d %B %Y}.")
    else:
        row.action_label = "Read the decision"
        row.action_url = reverse("accreditation:assessment-decision", args=[assessment.pk])
    return row


class LspAssessmentStartView(LoginRequiredMixin, View):
    """POST: start (or return to) the partnership's self-assessment for a cycle."""

    def post(self, request, partnership_pk, cycle_pk):
        partnership = get_object_or_404(partnerships_visible_to(request.user), pk=partnership_pk)
        if not user_is_lsp_officer(request.user, partnership.pk):
            raise Http404("Not an officer of this partnership")
        cycle = get_object_or_404(Cycle, pk=cycle_pk)
        try:
            assessment = assessment_start(partnership=partnership, cycle=cycle, by=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("accreditation:home")
        return redirect("accreditation:assessment-tasks", pk=assessment.pk)
