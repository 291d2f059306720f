"""What the public may read of a cycle once it is announced: each partnership's decision and
its NRF allocation for the cycle's year. Nothing of a cycle is public before its announcement
date."""

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from accreditation.models import Cycle, Decision, FundingState
from funding.models import FinancialYear, Fund
from partnerships.models import Partnership

# The fund whose allocations the published decisions state.
PUBLISHED_FUND = "NRF"


def published_cycles(*, today) -> QuerySet[Cycle]:
    """Cycles whose announcement date has come: nothing of a cycle is public before it."""
    return Cycle.objects.filter(announcement_date__lte=today).order_by("-year_start")


def published_cycle(*, year_start: int, today) -> Cycle | None:
    return published_cycles(today=today).filter(year_start=year_start).first()


def published_decisions(cycle: Cycle) -> QuerySet[Partnership]:
    """Every partnership with an assessment in the cycle or an NRF allocation for its year, with
    `decision` (funding state), `decided_on` (the date of the decision in force), `review_date`
    (while deferred), and the year's NRF allocation,
    provenance and source, ordered by region and authority. Joins, not subqueries per row."""
    nrf = Fund.objects.filter(code=PUBLISHED_FUND).first()
    year = FinancialYear.objects.filter(start_year=cycle.year_start).first()
    partnerships = Partnership.objects.annotate(
        cycle_assessment=FilteredRelation("assessments", condition=Q(assessments__cycle=cycle)),
        nrf=FilteredRelation(
            "allocations", condition=Q(allocations__fund=nrf, allocations__year=year)),
    )
    if nrf is None or year is None:
        in_cycle = Q(cycle_assessment__id__isnull=False)
    else:
        in_cycle = Q(cycle_assessment__id__isnull=False) | Q(nrf__id__isnull=False)
    return (
        partnerships.filter(in_cycle)
        .annotate(
            decision=Coalesce(F("cycle_assessment__funding_state"), Value(FundingState.UNDECIDED),
                              output_field=CharField()),
            review_date=Case(When(cycle_assessment__funding_state=FundingState.DEFERRED,
                                  then=F("cycle_assessment__review_date"))),
            decided_on=Subquery(
                Decision.objects.filter(assessment__partnership=OuterRef("pk"),
                                        assessment__cycle=cycle)
                .exclude(outcome=Decision.Outcome.RETURNED)
                .order_by("-decided_on", "-decided_at", "-id").values("decided_on")[:1]),
            nrf_pence=F("nrf__amount_pence"),
            nrf_provenance=F("nrf__provenance"),
            nrf_source=F("nrf__source__key"),
        )
        .select_related("local_authority__region")
        .order_by("local_authority__region__name", "local_authority__name")
    )


def published_totals(decisions: QuerySet[Partnership]) -> dict:
    """Counts by decision and the NRF total of a cycle's `published_decisions`, from the
    database."""
    return decisions.aggregate(
        partnerships=Count("pk"),
        accredited=Count("pk", filter=Q(decision=FundingState.ACCREDITED)),
        deferred=Count("pk", filter=Q(decision=FundingState.DEFERRED)),
        undecided=Count("pk", filter=Q(decision=FundingState.UNDECIDED)),
        nrf_total_pence=Sum("nrf_pence", default=0),
    )
