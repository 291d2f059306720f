"""Reads of released and held money. Callers scope the partnership first
(`partnerships.selectors.partnerships_visible_to`); these never widen what they are given."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.db.models import BigIntegerField, Count, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accreditation.models import AccreditationEvent, Status
from core.money import pounds
from partnerships.models import Partnership

from .basis import FractionResolver
from .models import Allocation, PolicyChange, RecomputeRequest, ReleaseEntry, ReleasePolicy


class Figures(TypedDict):
    released_pence: int
    held_pence: int


#: An allocation with its ledger figures annotated (for mypy; a plain Allocation at run time).
if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    AllocationWithFigures = WithAnnotations[Allocation, Figures]
else:
    AllocationWithFigures = Allocation


def allocation_figures(
    *, allocations: QuerySet[Allocation] | None = None, as_at: date | None = None
) -> QuerySet[AllocationWithFigures]:
    """Each allocation with `released_pence` (the ledger's sum, 0 when empty) and `held_pence`
    (allocation less released), computed by the database. With `as_at`, released counts only
    the entries effective on or before that day (the position at the end of it)."""
    allocations = Allocation.objects.all() if allocations is None else allocations
    ledger = ReleaseEntry.objects.filter(allocation=OuterRef("pk"))
    if as_at is not None:
        ledger = ledger.filter(effective_on__lte=as_at)
    ledger = (
        ledger
        .order_by()
        .values("allocation")
        .annotate(total=Sum("amount_pence"))
        .values("total")
    )
    return allocations.annotate(
        released_pence=Coalesce(Subquery(ledger, output_field=BigIntegerField()),
                                Value(0, output_field=BigIntegerField())),
        held_pence=F("amount_pence") - F("released_pence"),
    )


@dataclass(frozen=True)
class AllocationLine:
    allocation: Allocation
    amount_pence: int
    released_pence: int
    held_pence: int
    fraction: Decimal
    basis: str  # "Deferred", "Accredited", "Not yet decided", "Not tied to accreditation", ...


@dataclass(frozen=True)
class FundingSummary:
    partnership: Partnership
    lines: list[AllocationLine]
    amount_pence: int
    released_pence: int
    held_pence: int
    recompute_owed: bool
    owed_since: datetime | None


NO_RELEASE_POLICY = "No release policy yet"

_STATE_LABELS = {
    "accredited": "Accredited",
    "deferred": "Deferred",
    "undecided": "Not yet decided",
    "ungoverned": "Not tied to accreditation",
    "no_policy": NO_RELEASE_POLICY,
}


NOTHING_RELEASED = "Nothing released yet"


def _bases_on(partnership: Partnership, day: date) -> dict[int, tuple[str, Decimal]]:
    """Each allocation's (why, fraction) at the end of `day`: those of its latest entry
    effective by then (one query)."""
    bases = {}
    for allocation_id, state, fraction in (
        ReleaseEntry.objects.filter(allocation__partnership=partnership, effective_on__lte=day)
        .order_by("allocation_id", "effective_on", "id")
        .values_list("allocation_id", "funding_state", "fraction")
    ):
        bases[allocation_id] = (_STATE_LABELS.get(state, state), fraction)
    return bases


def partnership_funding_summary(*, partnership: Partnership,
                                as_at: date | None = None) -> FundingSummary:
    """Every allocation of the partnership with released, held and provenance, the share the
    rule gives it now and why, and whether a recompute is owed (for a banner). With `as_at`,
    released and the share are those of the entries effective by the end of that day."""
    allocations = list(
        allocation_figures(
            allocations=Allocation.objects.filter(partnership=partnership)
            .select_related("fund", "year", "source")
            .order_by("year__start_year", "fund__code"),
            as_at=as_at,
        )
    )
    resolver = FractionResolver.load([partnership.pk])
    bases_then = _bases_on(partnership, as_at) if as_at is not None else {}
    lines = []
    for allocation in allocations:
        basis = resolver.basis(allocation)
        label = "Own share set by policy" if basis.overridden else _STATE_LABELS[basis.state]
        fraction = basis.fraction
        if as_at is not None:
            label, fraction = bases_then.get(allocation.pk, (NOTHING_RELEASED, Decimal(0)))
        lines.append(AllocationLine(
            allocation=allocation,
            amount_pence=allocation.amount_pence,
            released_pence=allocation.released_pence,
            held_pence=allocation.held_pence,
            fraction=fraction,
            basis=label,
        ))
    owed_since = _recompute_owed_since(partnership)
    return FundingSummary(
        partnership=partnership,
        lines=lines,
        amount_pence=sum(line.amount_pence for line in lines),
        released_pence=sum(line.released_pence for line in lines),
        held_pence=sum(line.held_pence for line in lines),
        recompute_owed=owed_since is not None,
        owed_since=owed_since,
    )


def _recompute_owed_since(partnership: Partnership) -> datetime | None:
    """When the oldest recompute still owed for the partnership was asked for, if any."""
    return (
        RecomputeRequest.objects.filter(partnership=partnership, completed_at__isnull=True)
        .order_by("requested_at")
        .values_list("requested_at", flat=True)
        .first()
    )


@dataclass(frozen=True)
class MoneyTotals:
    """A partnership's allocations in total: anticipated, released and held (the ledger's sums,
    as `allocation_figures` gives them line by line), and whether a recompute is owed."""

    amount_pence: int
    released_pence: int
    held_pence: int
    recompute_owed: bool


def partnership_money_totals(*, partnership: Partnership) -> MoneyTotals | None:
    """The totals of `partnership_funding_summary` without the lines and their bases (two
    queries), for a glance such as the home page's; None when it has no allocations."""
    totals = allocation_figures(allocations=Allocation.objects.filter(partnership=partnership)
                                .order_by()).aggregate(
        count=Count("pk"), amount=Sum("amount_pence"), released=Sum("released_pence"))
    if not totals["count"]:
        return None
    return MoneyTotals(amount_pence=totals["amount"], released_pence=totals["released"],
                       held_pence=totals["amount"] - totals["released"],
                       recompute_owed=_recompute_owed_since(partnership) is not None)


@dataclass(frozen=True)
class TimelineItem:
    entry: ReleaseEntry
    at: datetime
    effective_on: date
    allocation_label: str
    amount_pence: int
    released_pence: int
    held_pence: int
    cause: str
    text: str
    event: AccreditationEvent | None
    policy_change: PolicyChange | None


_EVENT_PHRASES: dict[str, str] = {
    Status.ACCREDITED: "accredited",
    Status.DEFERRED: "decision deferred",
    Status.UNDER_REVIEW: "review started",
    Status.SUBMITTED: "submitted",
    Status.DRAFT: "returned for changes",
}


def _cause_text(entry: ReleaseEntry) -> str:
    if entry.event_id:
        event = entry.event
        assert event is not None
        phrase = _EVENT_PHRASES.get(event.to_status, event.get_to_status_display().lower())
        return f"{phrase} by {event.actor_label or 'the system'}"
    if entry.policy_change_id:
        change = entry.policy_change
        assert change is not None
        return f"release policy changed by {change.changed_by}: {change.reason}"
    if entry.cause == ReleaseEntry.Cause.REPAIR:
        return "corrected by ledger reconciliation"
    if entry.cause == ReleaseEntry.Cause.INITIAL:
        return "initial release"
    if entry.cause == ReleaseEntry.Cause.ALLOCATION_CHANGE:
        return "allocation changed"
    return "recomputed by an administrator"


def partnership_funding_timeline(*, partnership: Partnership,
                                 as_at: date | None = None) -> list[TimelineItem]:
    """The partnership's ledger entries (with `as_at`, those effective by the end of that day),
    newest first, each with its cause in words:
    "decision deferred by <reviewer> → £x released, £y held"."""
    entries = ReleaseEntry.objects.filter(allocation__partnership=partnership)
    if as_at is not None:
        entries = entries.filter(effective_on__lte=as_at)
    entries = (
        entries
        .select_related("allocation__fund", "allocation__year", "event",
                        "policy_change__changed_by", "reconcile_run")
        .order_by("-created_at", "-id")
    )
    items = []
    for entry in entries:
        released = entry.target_pence
        held = entry.allocation_pence - entry.target_pence
        cause = _cause_text(entry)
        items.append(TimelineItem(
            entry=entry,
            at=entry.created_at,
            effective_on=entry.effective_on,
            allocation_label=f"{entry.allocation.fund.code} {entry.allocation.year.label}",
            amount_pence=entry.amount_pence,
            released_pence=released,
            held_pence=held,
            cause=cause,
            text=f"{cause[:1].upper()}{cause[1:]} → {pounds(released)} released, "
                 f"{pounds(held)} held",
            event=entry.event,
            policy_change=entry.policy_change,
        ))
    return items


def policy_partnerships_affected(*, policy: ReleasePolicy) -> QuerySet[Partnership]:
    """Partnerships with an allocation under the policy's fund and year."""
    return Partnership.objects.filter(
        allocations__fund_id=policy.fund_id, allocations__year_id=policy.year_id
    ).distinct()


def release_policies() -> QuerySet[ReleasePolicy]:
    return ReleasePolicy.objects.select_related("fund", "year", "governing_cycle").order_by(
        "year__start_year", "fund__code"
    )
