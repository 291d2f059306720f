"""The reporting app's home-page sections for NRU staff (registered in reporting/apps.py): the
decisions since the latest announcement and the partnerships deferred with their review dates;
money held, recomputes owed, the last reconciliation's drift and the latest policy changes; for
administrators the training clock and the API tokens. Read through the `..._visible_to` selectors."""

from datetime import timedelta

from django.db.models import Count, Q, Sum

from accreditation.models import AWAITING_REVIEW
from accreditation.selectors import assessments_visible_to
from core import clock
from funding.models import (
    Allocation,
    PolicyChange,
    RecomputeRequest,
    ReconcileRun,
    ReleaseEntry,
    ReleasePolicy,
)
from partnerships.models import NATIONAL_ROLES, Role
from partnerships.selectors import user_has_role

from .api_tokens import api_tokens_visible_to
from .models import Announcement
from .published import decisions_since

# How many of the latest policy changes an administrator's home lists.
POLICY_CHANGES_SHOWN = 3


def _national(request) -> bool:
    user = request.user
    return user.is_authenticated and user_has_role(user, *NATIONAL_ROLES)


def nru_accreditation_panel(request) -> dict | None:
    """Decisions made since the latest announcement (newest first) and the partnerships
    deferred, soonest review first, with how far off each review is by the service's clock."""
    if not _national(request):
        return None
    visible = assessments_visible_to(request.user)
    announcement = Announcement.objects.select_related("cycle").order_by("-announced_on").first()
    since = []
    if announcement is not None:
        since = list(decisions_since(announcement).filter(assessment__in=visible)
                     .select_related("assessment__partnership")
                     .order_by("-decided_on", "-id"))
    deferred = [
        {"assessment": a, "when": clock.days_phrase(a.review_date)}
        for a in visible.filter(status__in=AWAITING_REVIEW).select_related("partnership")
        .order_by("review_date", "partnership__name")
    ]
    return {"announcement": announcement, "since": since, "deferred": deferred}


def nru_money_panel(request) -> dict | None:
    """Money held per fund and year under a release policy, recomputes owed and the last
    reconciliation's drift; for administrators the latest policy changes, newest first."""
    if not _national(request):
        return None
    allocated = {
        (row["fund_id"], row["year_id"]): row["total"]
        for row in Allocation.objects.values("fund_id", "year_id").annotate(total=Sum("amount_pence"))
    }
    released = {
        (row["allocation__fund_id"], row["allocation__year_id"]): row["total"]
        for row in ReleaseEntry.objects.values("allocation__fund_id", "allocation__year_id")
        .annotate(total=Sum("amount_pence"))
    }
    held = []
    for policy in ReleasePolicy.objects.select_related("fund", "year").order_by(
            "-year__start_year", "fund__code"):
        key = (policy.fund_id, policy.year_id)
        total = allocated.get(key) or 0
        if total:
            held.append({"label": f"{policy.fund.code} {policy.year.label}",
                         "held": total - (released.get(key) or 0), "total": total})
    changes = []
    if user_has_role(request.user, Role.NRU_ADMIN):
        changes = list(PolicyChange.objects.select_related("policy__fund", "policy__year",
                                                           "changed_by")
                       .order_by("-changed_at", "-pk")[:POLICY_CHANGES_SHOWN])
    return {
        "held": held,
        "owed": RecomputeRequest.objects.filter(completed_at__isnull=True).count(),
        "last_run": ReconcileRun.objects.filter(finished_at__isnull=False)
        .order_by("-started_at", "-pk").first(),
        "changes": changes,
    }


def training_clock_panel(request) -> dict | None:
    """Administrators of a training service: the service's date, and where to move it."""
    user = request.user
    if not (clock.training() and user.is_authenticated
            and user_has_role(user, Role.NRU_ADMIN)):
        return None
    return {"today": clock.today()}


def api_tokens_panel(request) -> dict | None:
    """NRU administrators: the read API's tokens in use, those expiring within 14 days, and
    where to manage them (docs/adr/0022-api-tokens-managed-in-the-service.md)."""
    user = request.user
    if not (user.is_authenticated and user_has_role(user, Role.NRU_ADMIN)):
        return None
    now = clock.now()
    active = api_tokens_visible_to(user).filter(revoked=False, expiry_date__gt=now)
    return active.aggregate(  # one query
        active=Count("pk"), expiring=Count("pk", filter=Q(expiry_date__lte=now + timedelta(days=14))))
