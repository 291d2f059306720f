"""The release ledger: every write to it happens here.

The ledger only grows: a recompute locks a partnership's allocations, works out each target from
the current state (`funding.basis`), and appends the difference with its cause. Running it twice,
out of order or concurrently ends in the same totals, because the difference is always taken
against the ledger as it stands under the lock. Reconcile compares every total with the rule and,
when asked, appends the correction.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypedDict, cast

from django.db import transaction
from django.db.models import F, Max, Sum
from django.utils import timezone

from accreditation.models import AccreditationEvent
from core import clock
from partnerships.models import Partnership

from . import rules
from .basis import Basis, FractionResolver, fund_years_without_policy, policies_by_fund_year
from .models import (
    Allocation,
    PolicyChange,
    RecomputeRequest,
    ReconcileRun,
    ReleaseEntry,
)
from .selectors import allocation_figures
from .signals import ledger_changed

logger = logging.getLogger(__name__)


class OwedRequest(TypedDict):
    """An owed RecomputeRequest as read under the lock."""

    id: int
    partnership_id: int
    cause: str
    cause_id: int | None
    requested_at: datetime


@dataclass(frozen=True)
class Ledger:
    """Each allocation's ledger total, and what its latest entry was based on."""

    totals: dict[int, int]
    last: dict[int, dict]


def _ledger(allocation_ids: list[int]) -> Ledger:
    if not allocation_ids:
        return Ledger({}, {})
    rows = list(
        ReleaseEntry.objects.filter(allocation_id__in=allocation_ids)
        .order_by()
        .values("allocation_id")
        .annotate(total=Sum("amount_pence"), last_id=Max("id"))
        .values_list("allocation_id", "total", "last_id")
    )
    last = {
        row["allocation_id"]: row
        for row in ReleaseEntry.objects.filter(pk__in=[r[2] for r in rows]).order_by().values(
            "allocation_id", "fraction", "funding_state", "allocation_pence"
        )
    }
    return Ledger({allocation_id: total for allocation_id, total, _ in rows}, last)


# --- Causes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cause:
    """What an entry is tied to."""

    cause: str
    request_id: int | None = None
    event_id: int | None = None
    policy_change_id: int | None = None
    reconcile_run_id: int | None = None


def _matching_request(owed: list[OwedRequest], kind: str, cause_id: int | None) -> int | None:
    for request in owed:
        if request["cause"] == kind and request["cause_id"] == cause_id:
            return request["id"]
    return None


def _cause_for(difference: "Difference", owed: list[OwedRequest]) -> Cause:
    """What moved the money: the input of the rule that differs from what the allocation's
    latest entry was based on.

    A decided funding state that changed names its accredit / defer event; a share that changed
    otherwise names the policy's latest change; a changed allocation is an allocation change;
    a first entry with no decision behind it is the initial release. Each is tied to the owed
    request recording that cause when there is one, else to the newest request being settled.
    """
    basis, last = difference.basis, difference.last
    owed = [r for r in owed if r["partnership_id"] == difference.allocation.partnership_id]
    newest = max(owed, key=lambda r: (r["requested_at"], r["id"]))["id"] if owed else None
    decided = basis.state in (rules.ACCREDITED, rules.DEFERRED) and not basis.overridden
    state_moved = bool(decided and basis.decision_event_id) and (
        last is None or last["funding_state"] != basis.state
    )
    if state_moved:
        event_id = basis.decision_event_id
        return Cause(ReleaseEntry.Cause.EVENT, event_id=event_id,
                     request_id=_matching_request(owed, RecomputeRequest.Cause.EVENT, event_id)
                     or newest)
    if last is None:
        return Cause(ReleaseEntry.Cause.INITIAL, request_id=newest)
    if last["fraction"] != basis.fraction and basis.policy_change_id:
        change_id = basis.policy_change_id
        return Cause(ReleaseEntry.Cause.POLICY_CHANGE, policy_change_id=change_id,
                     request_id=_matching_request(owed, RecomputeRequest.Cause.POLICY_CHANGE,
                                                  change_id) or newest)
    if last["allocation_pence"] != difference.allocation.amount_pence:
        return Cause(ReleaseEntry.Cause.ALLOCATION_CHANGE, request_id=newest)
    return Cause(ReleaseEntry.Cause.MANUAL, request_id=newest)


# --- Recompute --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """What the rule wants posted to one allocation."""

    allocation: Allocation
    ledger_pence: int
    target_pence: int
    basis: Basis
    last: dict | None = None  # what the allocation's latest entry was based on

    @property
    def amount_pence(self) -> int:
        return self.target_pence - self.ledger_pence


@dataclass
class Plan:
    """The differences for some partnerships, read under lock, and the requests owed for them."""

    differences: list[Difference]
    owed: list[OwedRequest]


def _plan(partnership_ids: list[int], *, policies=None) -> Plan:
    """Lock the partnerships' allocations and work out every non-zero difference.

    Must run inside a transaction. The owed requests are read *before* the state: any request
    visible then was committed with its cause, so the state read afterwards includes that cause
    and settling the request is sound. A request committed later stays owed.
    """
    allocations = list(
        Allocation.objects.select_for_update()
        .filter(partnership_id__in=partnership_ids)
        .order_by("id")
        .only("id", "partnership_id", "fund_id", "year_id", "amount_pence")
    )
    owed = cast(list[OwedRequest], list(
        RecomputeRequest.objects.filter(partnership_id__in=partnership_ids,
                                        completed_at__isnull=True)
        .order_by()
        .values("id", "partnership_id", "cause", "cause_id", "requested_at")
    ))
    if not allocations:
        return Plan([], owed)
    resolver = FractionResolver.load(partnership_ids, policies=policies)
    # Read after the lock, in statements of their own, so they see every entry committed before.
    ledger = _ledger([a.pk for a in allocations])
    differences = []
    for allocation in allocations:
        target, basis = resolver.target(allocation)
        current = ledger.totals.get(allocation.pk, 0)
        if target != current:
            differences.append(Difference(allocation, current, target, basis,
                                          ledger.last.get(allocation.pk)))
    return Plan(differences, owed)


def _effective_days(causes: list[Cause], owed: list[OwedRequest]) -> dict[tuple[str, int], date]:
    """The day each cause takes effect, keyed ("event" | "change" | "request", id): an event's
    own date (a decision's date), a policy change's day, an import's day (the request it
    recorded). Two queries at most."""
    days: dict[tuple[str, int], date] = {}
    event_ids = {c.event_id for c in causes if c.event_id}
    if event_ids:
        days.update((("event", pk), day) for pk, day in AccreditationEvent.objects.filter(
            pk__in=event_ids).values_list("pk", "effective_on"))
    change_ids = {c.policy_change_id for c in causes if c.policy_change_id}
    if change_ids:
        days.update((("change", pk), timezone.localdate(at)) for pk, at in
                    PolicyChange.objects.filter(pk__in=change_ids).values_list("pk", "changed_at"))
    days.update((("request", r["id"]), timezone.localdate(r["requested_at"])) for r in owed)
    return days


def _effective_on(tied: Cause, days: dict[tuple[str, int], date], today: date) -> date:
    """When an entry takes effect: its decision's date, its policy change's or import's day,
    otherwise (an initial release, a repair, a recompute) the clock's today."""
    if tied.event_id and ("event", tied.event_id) in days:
        return days["event", tied.event_id]
    if tied.policy_change_id and ("change", tied.policy_change_id) in days:
        return days["change", tied.policy_change_id]
    if (tied.cause == ReleaseEntry.Cause.ALLOCATION_CHANGE and tied.request_id
            and ("request", tied.request_id) in days):
        return days["request", tied.request_id]
    return today


def _post(plan: Plan, *, cause: Cause | None, note: str = "") -> list[ReleaseEntry]:
    now = clock.now()
    today = clock.today()
    tied_causes = [cause or _cause_for(d, plan.owed) for d in plan.differences]
    days = _effective_days(tied_causes, plan.owed) if plan.differences else {}
    entries = []
    for d, tied in zip(plan.differences, tied_causes, strict=True):
        entries.append(ReleaseEntry(
            allocation=d.allocation,
            amount_pence=d.amount_pence,
            target_pence=d.target_pence,
            allocation_pence=d.allocation.amount_pence,
            fraction=d.basis.fraction,
            funding_state=d.basis.state,
            cause=tied.cause,
            request_id=tied.request_id,
            event_id=tied.event_id,
            policy_change_id=tied.policy_change_id,
            reconcile_run_id=tied.reconcile_run_id,
            note=note[:300],
            created_at=now,
            effective_on=_effective_on(tied, days, today),
        ))
    ReleaseEntry.objects.bulk_create(entries)
    if entries:
        # Reporting warms the dashboard's figures once this commits (reporting.apps).
        _ledger_changed_announce([entry.allocation_id for entry in entries])
    settled = [r["id"] for r in plan.owed]
    if settled:
        RecomputeRequest.objects.filter(pk__in=settled, completed_at__isnull=True).update(
            completed_at=now
        )
    return entries


# The allocation ids a run of batches has grown, while `ledger_changes_announced_once` holds
# the announcements back; None outside one.
_held_announcements: ContextVar[list[int] | None] = ContextVar("ledger_changes_held",
                                                                default=None)


def _ledger_changed_announce(allocation_ids: list[int]) -> None:
    held = _held_announcements.get()
    if held is None:
        ledger_changed.send(sender=ReleaseEntry, allocation_ids=allocation_ids)
    else:
        held.extend(allocation_ids)


@contextmanager
def ledger_changes_announced_once() -> Iterator[None]:
    """For a run of batches, each its own transaction (`releases_recompute --all`, a
    reconcile's repairs): `ledger_changed` is sent once, when the run ends, for every allocation
    the run's batches grew, instead of once per batch. Its receivers act on what has committed
    by then: reporting's figures warm-up ran once per batch before, and on a machine with no
    broker (tasks run in the process) a recompute of 10,000 partnerships spent 36 s of every 37
    warming the dashboard a hundred times (bench/README.md). Sent whether the run ends well or
    not: the batches committed before a failure did grow the ledger."""
    held: list[int] = []
    token = _held_announcements.set(held)
    try:
        yield
    finally:
        _held_announcements.reset(token)
        if held:
            ledger_changed.send(sender=ReleaseEntry, allocation_ids=held)


def _explicit_cause(*, cause, request, event, policy_change, reconcile_run) -> Cause | None:
    if cause is None and event is None and policy_change is None and reconcile_run is None:
        return None
    if cause is None:
        cause = (ReleaseEntry.Cause.EVENT if event else
                 ReleaseEntry.Cause.POLICY_CHANGE if policy_change else ReleaseEntry.Cause.REPAIR)
    return Cause(
        cause=cause,
        request_id=getattr(request, "pk", None),
        event_id=getattr(event, "pk", None),
        policy_change_id=getattr(policy_change, "pk", None),
        reconcile_run_id=getattr(reconcile_run, "pk", None),
    )


def releases_recompute(
    *,
    partnership: Partnership,
    request: RecomputeRequest | None = None,
    cause: str | None = None,
    event: AccreditationEvent | None = None,
    policy_change: PolicyChange | None = None,
    reconcile_run: ReconcileRun | None = None,
    note: str = "",
) -> list[ReleaseEntry]:
    """Bring the partnership's released totals to what the rule says now; return the entries
    appended (none when the ledger already agrees).

    Settles every recompute request owed for the partnership when it starts (it reads the
    current state, so it covers their causes). With no explicit cause, each entry is tied to
    what changed since the allocation's last entry (see `_cause_for`).
    """
    explicit = _explicit_cause(cause=cause, request=request, event=event,
                               policy_change=policy_change, reconcile_run=reconcile_run)
    with transaction.atomic():
        plan = _plan([partnership.pk])
        return _post(plan, cause=explicit, note=note)


def releases_recompute_many(
    *, partnership_ids: list[int], cause: str = ReleaseEntry.Cause.MANUAL, note: str = "",
    policies: dict | None = None,
) -> list[ReleaseEntry]:
    """`releases_recompute` for a batch of partnerships in one transaction (the `--all` command
    and the benchmark): the same locks, in allocation id order, and a fixed number of queries."""
    with transaction.atomic():
        plan = _plan(sorted(partnership_ids), policies=policies)
        return _post(plan, cause=Cause(cause) if cause else None, note=note)


def recompute_request_settle(*, request_id: int) -> list[ReleaseEntry] | None:
    """Run an owed recompute (the worker's job). Quietly does nothing when the request is
    already settled or gone: a redelivered or duplicated task is harmless."""
    if not RecomputeRequest.objects.filter(pk=request_id, completed_at__isnull=True).update(
        attempts=F("attempts") + 1
    ):
        return None
    request = RecomputeRequest.objects.select_related("partnership").get(pk=request_id)
    return releases_recompute(partnership=request.partnership, request=request)

# --- Reconcile --------------------------------------------------------------------------------


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _scan_candidates(partnership_ids: list[int], policies) -> tuple[set[int], int]:
    """Partnerships whose ledger looks off the rule in a cheap, lock-free read, and how many
    allocations were read."""
    resolver = FractionResolver.load(partnership_ids, policies=policies)
    suspects, checked = set(), 0
    for allocation in allocation_figures(
        allocations=Allocation.objects.filter(partnership_id__in=partnership_ids).only(
            "id", "partnership_id", "fund_id", "year_id", "amount_pence"
        )
    ):
        checked += 1
        target, _ = resolver.target(allocation)
        if allocation.released_pence != target:
            suspects.add(allocation.partnership_id)
    return suspects, checked


def _drift_report(plan: Plan, partnership: Partnership, owed: bool) -> dict:
    return {
        "partnership_id": partnership.pk,
        "partnership": partnership.slug,
        "name": partnership.name,
        "recompute_owed": owed,
        "drift_pence": sum(d.ledger_pence - d.target_pence for d in plan.differences),
        "allocations": [
            {
                "allocation_id": d.allocation.pk,
                "fund": d.allocation.fund.code,
                "year": d.allocation.year.label,
                "ledger_pence": d.ledger_pence,
                "target_pence": d.target_pence,
                "drift_pence": d.ledger_pence - d.target_pence,
            }
            for d in plan.differences
        ],
    }


def releases_reconcile(*, repair: bool = False, requested_by: str = "",
                       chunk_size: int = 500) -> ReconcileRun:
    """Compare every allocation's ledger total with the rule, record the drift per partnership
    and, only when asked, append correcting entries tied to this run.

    A cheap scan picks suspects; each suspect is checked again under its allocations' lock, so
    a recompute in flight during the scan is not mistaken for drift. A partnership with a
    recompute still owed is reported as such, not as drift, and is left to the outbox.
    """
    run = ReconcileRun.objects.create(requested_by=requested_by[:150])
    policies = policies_by_fund_year()
    partnership_ids = list(
        Allocation.objects.order_by("partnership_id").values_list("partnership_id", flat=True)
        .distinct()
    )
    suspects: list[int] = []
    for chunk in _chunks(partnership_ids, chunk_size):
        found, checked = _scan_candidates(chunk, policies)
        suspects.extend(sorted(found))
        run.allocations_checked += checked

    drift: list[dict] = []
    repaired = 0
    partnerships = Partnership.objects.in_bulk(suspects)
    with ledger_changes_announced_once():
        for partnership_id in suspects:
            partnership = partnerships[partnership_id]
            with transaction.atomic():
                plan = _plan([partnership_id], policies=policies)
                if not plan.differences:
                    continue
                owed = bool(plan.owed)
                drift.append(_drift_report(plan, partnership, owed))
                if repair and not owed:
                    _post(plan, cause=Cause(ReleaseEntry.Cause.REPAIR, reconcile_run_id=run.pk),
                          note="Reconciliation repair")
                    repaired += 1
    run.drift = drift
    run.drift_count = sum(1 for d in drift if not d["recompute_owed"])
    run.repaired = repair and repaired > 0
    run.finished_at = clock.now()
    run.save(update_fields=["allocations_checked", "drift", "drift_count", "repaired",
                            "finished_at"])
    if run.drift_count:
        logger.warning("reconcile %s: %s partnerships drift from the rule%s", run.pk,
                       run.drift_count, " (repaired)" if run.repaired else "")
    for missing in fund_years_without_policy():
        logger.warning("reconcile %s: %s %s has no release policy: %s allocations, nothing "
                       "released until an NRU administrator sets one", run.pk, missing.fund,
                       missing.year, missing.allocations)
    return run
