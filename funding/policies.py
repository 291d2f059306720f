"""Changes to release policies: their fractions and named partnerships' own shares, checked,
recorded with who and why, and owed as recomputes through the funding outbox."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from core.errors import ApplicationError
from core.money import percent
from partnerships.models import Partnership, Role
from partnerships.selectors import user_has_role

from .models import Allocation, PolicyChange, RecomputeRequest, ReleaseOverride, ReleasePolicy
from .outbox import recompute_request

_FRACTION_LABELS = {
    "fraction_accredited": "released once accredited",
    "fraction_deferred": "released while deferred",
    "fraction_undecided": "released before a decision",
}
_FOUR_PLACES = Decimal("0.0001")


def _check_fraction(value, label: str) -> Decimal:
    if isinstance(value, float) or not isinstance(value, Decimal | int | str):
        raise ApplicationError(f"The share {label} must be an exact number.")
    try:
        fraction = Decimal(value)
    except ArithmeticError:
        raise ApplicationError(f"The share {label} must be a number.") from None
    if not fraction.is_finite() or not (0 <= fraction <= 1):
        raise ApplicationError(f"The share {label} must be between 0% and 100%.")
    if fraction.quantize(_FOUR_PLACES) != fraction:
        raise ApplicationError(
            f"The share {label} can have at most two decimal places as a percentage."
        )
    return fraction.quantize(_FOUR_PLACES)


def _policy_snapshot(policy: ReleasePolicy, overrides: dict[int, tuple[str, Decimal]]) -> dict:
    return {
        **{name: str(getattr(policy, name)) for name in _FRACTION_LABELS},
        "overrides": {slug: str(fraction) for slug, fraction in sorted(overrides.values())},
    }


@dataclass(frozen=True)
class PolicyChangePlan:
    """A checked change to a release policy, before it is applied."""

    policy: ReleasePolicy
    fractions: dict[str, Decimal]  # every fraction as it will be
    overrides: dict[Partnership, Decimal | None]  # requested; None removes
    fractions_changed: bool
    moved: frozenset[int]  # partnerships whose own share changes
    affected: frozenset[int]  # partnerships owed a recompute

    @property
    def affected_count(self) -> int:
        return len(self.affected)


def release_policy_change_plan(
    *,
    policy: ReleasePolicy,
    fraction_accredited: Decimal | None = None,
    fraction_deferred: Decimal | None = None,
    fraction_undecided: Decimal | None = None,
    overrides: dict[Partnership, Decimal | None] | None = None,
) -> PolicyChangePlan:
    """Check a change against the policy as it stands and say which partnerships it moves.
    Raises ApplicationError with a message for the person when it cannot be made."""
    asked = {
        "fraction_accredited": fraction_accredited,
        "fraction_deferred": fraction_deferred,
        "fraction_undecided": fraction_undecided,
    }
    merged = {
        name: _check_fraction(value, _FRACTION_LABELS[name]) if value is not None
        else getattr(policy, name)
        for name, value in asked.items()
    }
    if merged["fraction_deferred"] > merged["fraction_accredited"]:
        raise ApplicationError(
            "A deferred partnership cannot be released more than an accredited one: "
            f"{percent(merged['fraction_deferred'])} is more than "
            f"{percent(merged['fraction_accredited'])}."
        )
    if merged["fraction_undecided"] > merged["fraction_deferred"]:
        raise ApplicationError(
            "A partnership without a decision cannot be released more than a deferred one: "
            f"{percent(merged['fraction_undecided'])} is more than "
            f"{percent(merged['fraction_deferred'])}."
        )
    allocated = frozenset(
        Allocation.objects.filter(fund_id=policy.fund_id, year_id=policy.year_id)
        .values_list("partnership_id", flat=True)
    )
    current = dict(policy.overrides.values_list("partnership_id", "fraction"))
    checked: dict[Partnership, Decimal | None] = {}
    moved = set()
    for partnership, value in (overrides or {}).items():
        if partnership.pk not in allocated:
            raise ApplicationError(
                f"{partnership} has no {policy.fund} allocation for {policy.year}, so it "
                "cannot have its own share."
            )
        fraction = None if value is None else _check_fraction(value, f"released to {partnership}")
        checked[partnership] = fraction
        if current.get(partnership.pk) != fraction:
            moved.add(partnership.pk)
    fractions_changed = any(getattr(policy, name) != value for name, value in merged.items())
    if not fractions_changed and not moved:
        raise ApplicationError("Nothing was changed: the policy already says that.")
    return PolicyChangePlan(
        policy=policy,
        fractions=merged,
        overrides=checked,
        fractions_changed=fractions_changed,
        moved=frozenset(moved),
        affected=allocated if fractions_changed else frozenset(moved),
    )


def release_policy_change(
    *,
    policy: ReleasePolicy,
    by,
    reason: str,
    fraction_accredited: Decimal | None = None,
    fraction_deferred: Decimal | None = None,
    fraction_undecided: Decimal | None = None,
    overrides: dict[Partnership, Decimal | None] | None = None,
) -> PolicyChange:
    """Change a release policy's fractions and/or named partnerships' own shares (None removes
    one), record who and why, and owe a recompute to every partnership the change can move,
    through the same outbox as an accreditation decision.

    Only an NRU administrator may. Shares are between 0 and 1 with at most four decimal places,
    and never release more while deferred than once accredited, nor more before a decision than
    while deferred.
    """
    if not user_has_role(by, Role.NRU_ADMIN):
        raise ApplicationError("Only an NRU administrator can change a release policy.")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Give the reason for the change.")

    with transaction.atomic():
        policy = ReleasePolicy.objects.select_for_update().get(pk=policy.pk)
        plan = release_policy_change_plan(
            policy=policy, fraction_accredited=fraction_accredited,
            fraction_deferred=fraction_deferred, fraction_undecided=fraction_undecided,
            overrides=overrides,
        )
        existing = {o.partnership_id: o for o in policy.overrides.select_related("partnership")}
        before = _policy_snapshot(
            policy, {pid: (o.partnership.slug, o.fraction) for pid, o in existing.items()}
        )
        for partnership, fraction in plan.overrides.items():
            if partnership.pk not in plan.moved:
                continue
            override = existing.get(partnership.pk)
            if fraction is None:
                assert override is not None  # the plan moves only an existing override to none
                override.delete()
                del existing[partnership.pk]
            elif override is None:
                existing[partnership.pk] = ReleaseOverride.objects.create(
                    policy=policy, partnership=partnership, fraction=fraction,
                    reason=reason[:300],
                )
            else:
                override.fraction, override.reason = fraction, reason[:300]
                override.save(update_fields=["fraction", "reason"])
        for name, value in plan.fractions.items():
            setattr(policy, name, value)
        policy.save()
        change = PolicyChange.objects.create(
            policy=policy, changed_by=by, reason=reason, before=before,
            after=_policy_snapshot(
                policy, {pid: (o.partnership.slug, o.fraction) for pid, o in existing.items()}
            ),
        )
        for partnership in Partnership.objects.filter(pk__in=plan.affected).order_by("pk"):
            recompute_request(partnership=partnership, cause=RecomputeRequest.Cause.POLICY_CHANGE,
                              cause_id=change.pk)
    return change
