"""Read-only figures for the NRU national dashboard, each one an aggregate computed by the database.

Released is the sum of an allocation's ledger (`ReleaseEntry.amount_pence`), held is the allocation
less released. Neither is stored: both are computed here in SQL so that the page costs the same
handful of queries for 88 partnerships or 10,000 (bench/bench_dashboard.py measures it).

The accreditation status shown beside the money is `SelfAssessment.funding_state` in the cycle
that governs the fund and year (`ReleasePolicy.governing_cycle`). A fund-year whose policy has no
governing cycle releases everything; its status column then shows the cycle of the same financial
year, if there is one, marked as not governing the money. A fund-year with no policy at all
releases nothing, and the page says "No release policy yet".

As at a past day (`DashboardScope.as_at`, ADR 0021) released counts the entries effective by the
end of it, and the status is the decision in force then (`funding.as_at.funding_state_on`), in
the same queries.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from accreditation.models import Cycle, FundingState, SelfAssessment
from accreditation.selectors import assessments_visible_to
from core.models import Provenance
from funding.as_at import decided_by, funding_state_on, partnership_state_on
from funding.models import (
    Allocation,
    FinancialYear,
    Fund,
    RecomputeRequest,
    ReconcileRun,
    ReleaseEntry,
    ReleasePolicy,
)
from funding.selectors import allocation_figures
from partnerships.models import Partnership, Region

from .figures_cache import figures_cached

DEFAULT_FUND = "NRF"
DEFAULT_YEAR = "2002/03"

# Shown in the status column of a fund-year that no accreditation cycle governs and whose
# financial year has no cycle either (NRF 2001/02).
NO_CYCLE = ""

# The partnership table's sortable columns: the `sort` parameter may only name one of these.
SORT_FIELDS = {
    "authority": ("partnership__local_authority__name",),
    "region": ("partnership__local_authority__region__name", "partnership__local_authority__name"),
    "status": ("status", "partnership__local_authority__name"),
    "anticipated": ("amount_pence", "partnership__local_authority__name"),
    "released": ("released_pence", "partnership__local_authority__name"),
    "held": ("held_pence", "partnership__local_authority__name"),
    "provenance": ("provenance", "partnership__local_authority__name"),
}
DEFAULT_SORT = "authority"

STATUS_CHOICES = [(s.value, s.label) for s in FundingState]
PROVENANCE_CHOICES = list(Provenance.choices)


@dataclass(frozen=True)
class DashboardScope:
    """The fund and year the dashboard shows, and the cycle whose decisions it shows beside them."""

    fund: Fund
    year: FinancialYear
    cycle: Cycle | None
    cycle_governs: bool
    # A past day: the figures and statuses as they stood at the end of it (entries and
    # decisions effective by then). None: as they stand now.
    as_at: date | None = None


@dataclass(frozen=True)
class TableFilters:
    """The partnership table's filters; an empty value means no filter."""

    region: str = ""  # a Region slug
    status: str = ""  # a FundingState value
    provenance: str = ""  # a Provenance value

    def q(self) -> Q:
        q = Q()
        if self.region:
            q &= Q(partnership__local_authority__region__slug=self.region)
        if self.status:
            q &= Q(status=self.status)
        if self.provenance:
            q &= Q(provenance=self.provenance)
        return q

    @property
    def is_empty(self) -> bool:
        return not (self.region or self.status or self.provenance)


@dataclass
class Headline:
    anticipated_pence: int
    released_pence: int
    held_pence: int
    partnerships: int
    accredited: int
    deferred: int
    undecided: int
    published_pence: int
    derived_pence: int
    illustrative_pence: int
    matching: int  # rows of the partnership table under the current filters
    by_provenance: list[tuple[str, str, int]] = field(default_factory=list)
    # False: the fund-year has no release policy, so nothing of it is released ("No release
    # policy yet"); a policy without a governing cycle releases everything.
    has_release_policy: bool = True


@dataclass(frozen=True)
class ReconcileState:
    last_run: ReconcileRun | None
    owed_recomputes: int


def funds_and_years() -> tuple[list[Fund], list[FinancialYear]]:
    return figures_cached("funds-years", (), lambda: (list(Fund.objects.all()),
                                                       list(FinancialYear.objects.all())))


def dashboard_scope(*, fund: Fund, year: FinancialYear) -> DashboardScope:
    """The cycle whose decisions the dashboard shows beside the fund-year's money, in one query
    (cached until the figures change): the cycle its release policy names as governing, else
    the cycle of the same financial year (shown for information: the money is then released in
    full), else none."""
    return figures_cached("dashboard-scope", (fund.pk, year.pk),
                          lambda: _dashboard_scope(fund=fund, year=year))


def _dashboard_scope(*, fund: Fund, year: FinancialYear) -> DashboardScope:
    governs = ReleasePolicy.objects.filter(fund=fund, year=year, governing_cycle=OuterRef("pk"))
    cycle = (
        Cycle.objects.filter(
            Q(release_policies__fund=fund, release_policies__year=year) | Q(year_start=year.start_year)
        )
        .annotate(governs=Exists(governs))
        .order_by("-governs", "-year_start")
        .first()
    )
    return DashboardScope(fund=fund, year=year, cycle=cycle,
                          cycle_governs=bool(cycle and cycle.governs))


def _with_status(allocations: QuerySet[Allocation], scope: DashboardScope) -> QuerySet[Allocation]:
    """Annotate `status`: the partnership's funding state in the scope's cycle, through a LEFT
    JOIN on its one assessment in that cycle (undecided without one)."""
    if scope.cycle is None:
        return allocations.annotate(status=Value(NO_CYCLE, output_field=CharField()))
    if scope.as_at is not None:
        return allocations.annotate(status=partnership_state_on(scope.as_at,
                                                                cycle_id=scope.cycle.pk))
    return allocations.annotate(
        cycle_assessment=FilteredRelation(
            "partnership__assessments",
            condition=Q(partnership__assessments__cycle=scope.cycle),
        ),
        status=Coalesce(F("cycle_assessment__funding_state"), Value(FundingState.UNDECIDED),
                        output_field=CharField()),
    )


def allocations_for_dashboard(scope: DashboardScope) -> QuerySet[Allocation]:
    """The fund-year's allocations with `released_pence`, `held_pence` and `status` annotated."""
    return _with_status(
        allocation_figures(allocations=Allocation.objects.filter(fund=scope.fund, year=scope.year),
                           as_at=scope.as_at),
        scope,
    )


def dashboard_table(scope: DashboardScope, *, filters: TableFilters, sort: str,
                    descending: bool) -> QuerySet[Allocation]:
    """The partnership table: filtered, sorted by a whitelisted column, ready to paginate."""
    columns = SORT_FIELDS.get(sort, SORT_FIELDS[DEFAULT_SORT])
    order = [f"-{columns[0]}" if descending else columns[0], *columns[1:], "pk"]
    return (
        allocations_for_dashboard(scope)
        .filter(filters.q())
        .select_related("partnership__local_authority__region", "source")
        .order_by(*order)
    )


PAGE_ROW_FIELDS = ("pk", "status", "amount_pence", "released_pence", "held_pence", "provenance")


def dashboard_page_rows(scope: DashboardScope, *, filters: TableFilters, sort: str,
                        descending: bool, offset: int, limit: int) -> list[dict]:
    """One page of the partnership table as plain values: the allocation's figures and
    provenance, with the partnership's `slug`, `authority`, `region` and the figure's
    `source_key`. Cached until the figures change."""

    def compute() -> list[dict]:
        table = dashboard_table(scope, filters=filters, sort=sort, descending=descending)
        return list(table.values(
            *PAGE_ROW_FIELDS, slug=F("partnership__slug"),
            authority=F("partnership__local_authority__name"),
            region=F("partnership__local_authority__region__name"), source_key=F("source__key"),
        )[offset:offset + limit])

    return figures_cached("dashboard-rows", (*_scope_key(scope), *_filters_key(filters), sort,
                                             descending, offset, limit), compute)


def _scope_key(scope: DashboardScope) -> tuple:
    # The day is part of the key: a past day's figures are cached like today's, under the same
    # figures version, which any change (a back-dated entry included) moves.
    return (scope.fund.pk, scope.year.pk, scope.cycle.pk if scope.cycle is not None else 0,
            scope.as_at.isoformat() if scope.as_at else "")


def _filters_key(filters: TableFilters) -> tuple:
    return filters.region, filters.status, filters.provenance


def _ledger(scope: DashboardScope) -> QuerySet[ReleaseEntry]:
    entries = ReleaseEntry.objects.filter(allocation__fund=scope.fund, allocation__year=scope.year)
    if scope.as_at is not None:
        entries = entries.filter(effective_on__lte=scope.as_at)
    return entries


def dashboard_headline(scope: DashboardScope, *, regions: list[Region],
                       filters: TableFilters) -> Headline:
    """National figures of the fund-year: the totals of the regional aggregates (every
    allocation's partnership is in exactly one region, so they add up exactly), and how many
    table rows match the filters (one COUNT query, only when there are filters).

    Summing nine regional aggregates here, rather than aggregating every allocation a second
    time, keeps the page to one pass over the allocations and one over the ledger."""

    def total(attribute: str) -> int:
        return sum(getattr(region, attribute) for region in regions)

    partnerships = total("partnership_count")
    if filters.is_empty:
        matching = partnerships
    else:
        matching = figures_cached(
            "dashboard-matching", (*_scope_key(scope), *_filters_key(filters)),
            lambda: _with_status(Allocation.objects.filter(fund=scope.fund, year=scope.year),
                                 scope).filter(filters.q()).count(),
        )
    by_provenance = [(p.value, p.label, total(f"{p.value}_pence")) for p in Provenance]
    anticipated, released = total("anticipated_pence"), total("released_pence")
    return Headline(
        anticipated_pence=anticipated,
        released_pence=released,
        held_pence=anticipated - released,
        partnerships=partnerships,
        accredited=total("accredited"),
        deferred=total("deferred"),
        undecided=total("undecided"),
        published_pence=total("published_pence"),
        derived_pence=total("derived_pence"),
        illustrative_pence=total("illustrative_pence"),
        matching=matching,
        by_provenance=by_provenance,
        has_release_policy=all(getattr(region, "has_release_policy", True) for region in regions),
    )


def dashboard_regions(scope: DashboardScope) -> list[Region]:
    """Every region with the fund-year's figures (`_regions_with_figures`), cached until the
    figures change."""
    return figures_cached("dashboard-regions", _scope_key(scope),
                          lambda: _regions_with_figures(scope))


def _regions_with_figures(scope: DashboardScope) -> list[Region]:
    """Every region (none left out, so it also lists the regions to filter by), with the
    fund-year's figures for its partnerships: two queries, each one pass grouped by region.

    The first LEFT JOINs each region's allocations through a filtered relation (one row per
    partnership at most, so no sum is multiplied) and their assessment in the cycle; the second
    sums the fund-year's ledger by region. Released and held are attached per region (nine
    rows): putting the ledger sum in the first query as a correlated subquery made databases
    evaluate it once per joined row.
    """
    allocation = "authorities__partnership__allocations"
    annotations = {
        "fund_year_allocation": FilteredRelation(
            allocation,
            condition=Q(**{f"{allocation}__fund": scope.fund, f"{allocation}__year": scope.year}),
        ),
    }
    counts = {
        # The same for every row: whether the fund-year has a policy, read in this query.
        "has_release_policy": Exists(
            ReleasePolicy.objects.filter(fund=scope.fund, year=scope.year)),
        "anticipated_pence": Sum("fund_year_allocation__amount_pence", default=0),
        "partnership_count": Count("fund_year_allocation"),
        **{
            f"{p.value}_pence": Sum("fund_year_allocation__amount_pence", default=0,
                                    filter=Q(fund_year_allocation__provenance=p.value))
            for p in Provenance
        },
    }
    if scope.cycle is not None and scope.as_at is not None:
        # Decided by the end of a past day: from the decisions effective by then (each kind an
        # uncorrelated subquery, hashed once; an accreditation is final).
        accredited, deferred = (
            Q(fund_year_allocation__partnership_id__in=decided_by(
                scope.as_at, cycle_id=scope.cycle.pk, outcome=outcome))
            for outcome in (FundingState.ACCREDITED, FundingState.DEFERRED))
        counts["accredited"] = Count("fund_year_allocation", filter=accredited)
        counts["deferred"] = Count("fund_year_allocation", filter=deferred & ~accredited)
    elif scope.cycle is not None:
        assessment = "authorities__partnership__assessments"
        annotations["cycle_assessment"] = FilteredRelation(
            assessment, condition=Q(**{f"{assessment}__cycle": scope.cycle}))
        for state in (FundingState.ACCREDITED, FundingState.DEFERRED):
            counts[state.value] = Count(
                "fund_year_allocation", filter=Q(cycle_assessment__funding_state=state))
    else:
        counts["accredited"] = counts["deferred"] = Value(0, output_field=BigIntegerField())
    regions = list(
        Region.objects.annotate(**annotations)
        .annotate(**counts)
        .annotate(undecided=F("partnership_count") - F("accredited") - F("deferred"))
        .order_by("name")
    )
    released = dict(
        _ledger(scope).order_by()
        .values_list("allocation__partnership__local_authority__region_id")
        .annotate(total=Sum("amount_pence"))
    )
    for region in regions:
        region.released_pence = released.get(region.pk, 0)
        region.held_pence = region.anticipated_pence - region.released_pence
    return regions


def reconcile_state() -> ReconcileState:
    return ReconcileState(
        last_run=ReconcileRun.objects.order_by("-started_at", "-pk").first(),
        owed_recomputes=RecomputeRequest.objects.filter(completed_at__isnull=True).count(),
    )


# --- Drill-down ---------------------------------------------------------------------------------


def partnership_assessments(partnership: Partnership, *, user,
                            as_at: date | None = None) -> QuerySet[SelfAssessment]:
    """The partnership's self-assessments the user may read (`assessments_visible_to`: NRU
    staff see one once it has been submitted), newest cycle first, with their decisions. With
    `as_at`, each has `funding_state_then`: its decision in force at the end of that day."""
    assessments = (
        assessments_visible_to(user).filter(partnership=partnership)
        .select_related("cycle")
        .prefetch_related("decisions__concerns__requirement", "decisions__decided_by")
        .order_by("-cycle__year_start")
    )
    if as_at is not None:
        assessments = assessments.annotate(
            funding_state_then=funding_state_on(as_at, assessment=OuterRef("pk")))
    return assessments
