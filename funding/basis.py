"""The basis: which fraction of an allocation the rule releases, and why.

`fraction_under` is the one place a release policy, a funding state and a partnership's own
share become a fraction; the ledger (`funding.ledger`), the funding pages (`funding.selectors`)
and the decision letters (`releases_in_state`) all go through it, by way of the pure rule in
`funding.rules`.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Subquery, Sum

from accreditation.models import AccreditationEvent, SelfAssessment
from partnerships.models import Partnership

from . import rules
from .models import Allocation, PolicyChange, ReleaseOverride, ReleasePolicy

UNGOVERNED = "ungoverned"
NO_POLICY = "no_policy"


def fraction_under(policy: ReleasePolicy | None, state: str, *,
                   override: Decimal | None = None) -> Decimal:
    """The fraction released under `policy` in funding state `state`: the partnership's own
    share (`override`) whatever the state; nothing with no policy; everything under a policy
    with no governing cycle; otherwise the policy's fraction for the state."""
    if policy is None:
        return rules.fraction_for(state, None, override=override)
    return rules.fraction_for(state, policy.fractions(),
                              governed=policy.governing_cycle_id is not None, override=override)


@dataclass(frozen=True)
class Basis:
    """Why an allocation's target is what it is."""

    fraction: Decimal
    state: str  # the governing assessment's funding state, "ungoverned" or "no_policy"
    policy_id: int | None
    governing_cycle_id: int | None
    overridden: bool
    decision_event_id: int | None = None  # the accredit / defer event that set `state`
    policy_change_id: int | None = None  # the policy's latest recorded change


@dataclass
class FractionResolver:
    """Reads policies, overrides and funding states for some partnerships in three queries, then
    answers, for any of their allocations, which fraction the rule applies.

    Each state is read in the same statement as the decision event that set it, and each
    policy with its latest change, so an entry can name its cause from one consistent view.
    """

    policies: dict[tuple[int, int], ReleasePolicy]
    overrides: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    states: dict[tuple[int, int], tuple[str, int | None]] = field(default_factory=dict)

    @classmethod
    def load(cls, partnership_ids: Iterable[int],
             policies: dict[tuple[int, int], ReleasePolicy] | None = None) -> "FractionResolver":
        ids = list(partnership_ids)
        if policies is None:
            policies = policies_by_fund_year()
        resolver = cls(policies=policies)
        if not ids:
            return resolver
        resolver.overrides = {
            (policy_id, partnership_id): fraction
            for policy_id, partnership_id, fraction in ReleaseOverride.objects.filter(
                partnership_id__in=ids
            ).values_list("policy_id", "partnership_id", "fraction")
        }
        cycle_ids = {p.governing_cycle_id for p in policies.values() if p.governing_cycle_id}
        if cycle_ids:
            decision = (
                AccreditationEvent.objects.filter(
                    assessment=OuterRef("pk"), to_status__in=[rules.ACCREDITED, rules.DEFERRED]
                )
                .order_by("-at", "-id")
                .values("id")[:1]
            )
            resolver.states = {
                (partnership_id, cycle_id): (state, event_id)
                for partnership_id, cycle_id, state, event_id in SelfAssessment.objects.filter(
                    partnership_id__in=ids, cycle_id__in=cycle_ids
                )
                .annotate(decision_event_id=Subquery(decision))
                .values_list("partnership_id", "cycle_id", "funding_state", "decision_event_id")
            }
        return resolver

    def basis(self, allocation: Allocation) -> Basis:
        policy = self.policies.get((allocation.fund_id, allocation.year_id))
        if policy is None:
            return Basis(fraction_under(None, NO_POLICY), NO_POLICY, None, None, False)
        override = self.overrides.get((policy.pk, allocation.partnership_id))
        cycle_id = policy.governing_cycle_id
        state, event_id = (
            self.states.get((allocation.partnership_id, cycle_id), (rules.UNDECIDED, None))
            if cycle_id else (UNGOVERNED, None)
        )
        fraction = fraction_under(policy, state, override=override)
        return Basis(fraction, state, policy.pk, cycle_id, override is not None,
                     decision_event_id=event_id,
                     policy_change_id=getattr(policy, "last_change_id", None))

    def target(self, allocation: Allocation) -> tuple[int, Basis]:
        basis = self.basis(allocation)
        return rules.target_released(allocation.amount_pence, basis.fraction), basis


@dataclass(frozen=True)
class FundYearWithoutPolicy:
    """A fund and year with allocations and no release policy: none of it is released."""

    fund: str
    year: str
    allocations: int
    amount_pence: int


def fund_years_without_policy() -> list[FundYearWithoutPolicy]:
    """Every fund and year that has allocations but no release policy, oldest year first, in
    one grouped query (reconciliation reports them; the NRU pages say "No release policy yet")."""
    policy = ReleasePolicy.objects.filter(fund=OuterRef("fund"), year=OuterRef("year"))
    rows = (
        Allocation.objects.filter(~Exists(policy)).order_by()
        .values("fund__code", "year__label", "year__start_year")
        .annotate(allocations=Count("id"), amount_pence=Sum("amount_pence"))
        .order_by("year__start_year", "fund__code")
    )
    return [FundYearWithoutPolicy(r["fund__code"], r["year__label"], r["allocations"],
                                  r["amount_pence"]) for r in rows]


def policies_by_fund_year() -> dict[tuple[int, int], ReleasePolicy]:
    """Every release policy (a handful of rows: funds × years), each with `last_change_id`."""
    last_change = PolicyChange.objects.filter(policy=OuterRef("pk")).order_by("-changed_at", "-id")
    return {
        (p.fund_id, p.year_id): p
        for p in ReleasePolicy.objects.order_by().annotate(
            last_change_id=Subquery(last_change.values("id")[:1])
        )
    }


@dataclass(frozen=True)
class StateRelease:
    """What one allocation governed by a cycle releases in a given funding state."""

    policy: ReleasePolicy
    allocation: Allocation
    fraction: Decimal
    released_pence: int


def releases_in_state(*, partnership: Partnership, cycle_id: int,
                      funding_state: str) -> list[StateRelease]:
    """The partnership's allocations governed by the cycle (year, then fund), and what each
    would release in `funding_state`: by the same rule the ledger posts, so a letter states what
    the ledger will hold. Each policy comes with its fund and year."""
    policies = list(
        ReleasePolicy.objects.filter(governing_cycle=cycle_id)
        .select_related("fund", "year").order_by("year__start_year", "fund__code")
    )
    allocations = {
        (a.fund_id, a.year_id): a
        for a in Allocation.objects.filter(
            partnership=partnership,
            fund__in={p.fund_id for p in policies}, year__in={p.year_id for p in policies},
        )
    }
    overrides = dict(
        ReleaseOverride.objects.filter(policy__in=policies, partnership=partnership)
        .values_list("policy_id", "fraction")
    )
    releases = []
    for policy in policies:
        allocation = allocations.get((policy.fund_id, policy.year_id))
        if allocation is None:
            continue
        fraction = fraction_under(policy, funding_state, override=overrides.get(policy.pk))
        releases.append(StateRelease(
            policy=policy, allocation=allocation, fraction=fraction,
            released_pence=rules.target_released(allocation.amount_pence, fraction),
        ))
    return releases
