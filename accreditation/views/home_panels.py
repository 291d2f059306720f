"""Accreditation's sections of the home page (registered in accreditation/apps.py): what an LSP
officer or chair, and a Government Office reviewer, should do next. Each returns None when it has
nothing for the user, so the home page never shows an empty section."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q
from django.urls import reverse

from core import clock
from partnerships.models import PARTNERSHIP_ROLES, Partnership, Role
from partnerships.selectors import partnerships_visible_to, user_has_role

from ..models import AWAITING_REVIEW, Cycle, Decision, DeferralResponse, SelfAssessment, Status
from ..review_selectors import assessments_reviewable_by, cycle_default
from .lsp_base import sign_off_is_requested
from .lsp_tasks import task_list

# Reviews due within this many days are listed as coming up.
REVIEW_SOON_DAYS = 14


@dataclass
class Action:
    """One next step: what, a count where there is one, the link and any detail."""

    text: str
    href: str
    detail: str = ""
    count: int | None = None


def _long(day) -> str:
    return f"{day:%-d %B %Y}"


def partnership_panel(request) -> dict | None:
    """An LSP officer's or chair's next steps, for each of their partnerships: the current
    self-assessment (tasks done of total, deadline) or the changes asked for, a response to a
    deferral due, what waits for the chair's sign-off, and the latest decision."""
    user = request.user
    if not user.is_authenticated or not user_has_role(user, *PARTNERSHIP_ROLES):
        return None
    partnerships = list(partnerships_visible_to(user).filter(
        role_assignments__user=user, role_assignments__role__in=PARTNERSHIP_ROLES).distinct()
        .order_by("name"))
    if not partnerships:
        return None
    today = clock.today()
    current = cycle_default(today=today)
    assessments = list(SelfAssessment.objects.filter(partnership__in=partnerships)
                       .select_related("cycle", "partnership").order_by("-cycle__year_start"))
    deferred = [a for a in assessments if a.status == Status.DEFERRED]
    asked = set(DeferralResponse.objects.filter(
        assessment__in=deferred, signed_off_at__isnull=True, sign_off_requested_at__isnull=False,
    ).values_list("assessment_id", flat=True)) if deferred else set()
    decisions = {}
    decided = [a for a in assessments if a.status != Status.DRAFT or a.submitted_at]
    for decision in (Decision.objects.filter(assessment__in=decided)
                     .exclude(outcome=Decision.Outcome.RETURNED)
                     .select_related("assessment__cycle").order_by("decided_at", "id")
                     if decided else []):
        decisions[decision.assessment.partnership_id] = decision  # the latest wins
    homes = [_partnership_home(user, p, current, [a for a in assessments if a.partnership_id == p.pk],
                               asked, decisions.get(p.pk), today) for p in partnerships]
    return {"partnerships": homes}


def _partnership_home(user, partnership: Partnership, current: Cycle | None, assessments: list,
                      asked: set, decision: Decision | None, today) -> dict:
    officer = user_has_role(user, Role.LSP_OFFICER, partnership=partnership)
    chair = user_has_role(user, Role.LSP_CHAIR, partnership=partnership)
    actions: list[Action] = []
    for a in assessments:  # newest cycle first
        if a.status == Status.DEFERRED:
            respond = reverse("accreditation:deferral-response", args=[a.pk])
            when = clock.days_phrase(a.review_date)
            if chair and a.pk in asked:
                actions.append(Action(
                    f"Sign off the response to the areas of concern ({a.cycle})",
                    reverse("accreditation:deferral-sign-off", args=[a.pk]),
                    f"The officer has asked you to sign off. The review is on "
                    f"{_long(a.review_date)}, {when}."))
            elif officer and a.pk in asked:
                actions.append(Action(
                    f"Your response to the areas of concern ({a.cycle}) is waiting for the "
                    "chair's sign-off", respond, f"The review is on {_long(a.review_date)}, {when}."))
            elif officer:
                actions.append(Action(
                    f"Respond to the areas of concern before your review on "
                    f"{_long(a.review_date)}", respond, f"The {a.cycle} review is {when}."))
        elif a.status == Status.DRAFT:
            if chair and sign_off_is_requested(a):
                actions.append(Action(f"Sign off and submit the {a.cycle} self-assessment",
                                      reverse("accreditation:assessment-sign-off", args=[a.pk]),
                                      "The officer has asked you to sign off."))
            elif officer and sign_off_is_requested(a):
                actions.append(Action(
                    f"The {a.cycle} self-assessment is waiting for the chair's sign-off",
                    reverse("accreditation:assessment-tasks", args=[a.pk]),
                    f"Submit by {_long(a.cycle.submission_deadline)}."))
            elif officer:
                tasks = task_list(a, user)
                returned = a.submitted_at is not None
                text = (f"Make the changes asked for to the {a.cycle} self-assessment" if returned
                        else f"Continue the {a.cycle} self-assessment")
                detail = (f"{tasks['completed']} of {tasks['total']} tasks completed. "
                          f"Submit by {_long(a.cycle.submission_deadline)}.")
                actions.append(Action(text, reverse("accreditation:assessment-tasks", args=[a.pk]),
                                      detail))
    if officer and current is not None and current.opens_on <= today and not any(
            a.cycle_id == current.pk for a in assessments):
        actions.append(Action(f"Start the {current} self-assessment", reverse("accreditation:home"),
                              f"Submit by {_long(current.submission_deadline)}."))
    latest = None
    if decision is not None:
        latest = {
            "text": f"{decision.assessment.cycle}: {decision.get_outcome_display()}",
            "on": decision.decided_on,
            "href": reverse("accreditation:assessment-decision", args=[decision.assessment_id]),
        }
    return {"partnership": partnership, "actions": actions, "decision": latest}


def review_panel(request) -> dict | None:
    """A Government Office reviewer's next steps, counted per cycle: self-assessments and
    responses to deferrals waiting, reviews due in the next 14 days and overdue, and
    assessments returned for changes not yet resubmitted."""
    user = request.user
    if not user.is_authenticated or not user_has_role(user, Role.GO_REVIEWER):
        return None
    today = clock.today()
    soon = today + timedelta(days=REVIEW_SOON_DAYS)
    awaiting = Q(status__in=AWAITING_REVIEW)
    counts = (
        assessments_reviewable_by(user).values("cycle_id", "cycle__name", "cycle__year_start")
        .annotate(
            submitted=Count("pk", filter=Q(status=Status.SUBMITTED)),
            responses=Count("pk", filter=Q(status=Status.RESPONSE_RECEIVED)),
            due_soon=Count("pk", filter=awaiting & Q(review_date__gte=today, review_date__lte=soon)),
            overdue=Count("pk", filter=awaiting & Q(review_date__lt=today)),
            returned=Count("pk", filter=Q(status=Status.DRAFT, submitted_at__isnull=False)),
        ).order_by("-cycle__year_start")
    )
    queue = reverse("review:queue")
    cycles = []
    for row in counts:
        at = f"{queue}?cycle={row['cycle_id']}"
        actions = [
            Action("Submitted self-assessments to review", f"{at}&status={Status.SUBMITTED}",
                   count=row["submitted"]),
            Action("Responses to deferrals to review", f"{at}&status={Status.RESPONSE_RECEIVED}",
                   count=row["responses"]),
            Action("Overdue reviews of deferred partnerships", f"{at}&status=review_due",
                   count=row["overdue"]),
            Action(f"Reviews due in the next {REVIEW_SOON_DAYS} days", f"{queue}#deferred-reviews",
                   count=row["due_soon"]),
            Action("Returned for changes, not yet resubmitted", f"{at}&status={Status.DRAFT}",
                   count=row["returned"]),
        ]
        actions = [a for a in actions if a.count]
        if actions:
            cycles.append({"cycle": row["cycle__name"], "actions": actions})
    return {"cycles": cycles, "queue": queue}
