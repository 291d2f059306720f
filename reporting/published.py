"""What the public may read of a cycle once it is announced.

Nothing of a cycle is public before its announcement date on the service's clock. From that
date the cycle's `Announcement` (taken once by `reporting.announcements`) is what was announced:
which partnerships, which status, which figures, the written answer's text. It is never
recomputed. Decisions recorded on the cycle afterwards, or dated after the announcement, are
read here from `accreditation.Decision` as dated updates beneath it, and give each line its
current status (docs/adr/0018-published-record-kept-as-announced.md).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from accreditation.models import Cycle, Decision, FundingState, SelfAssessment
from core.money import percent
from funding.basis import fraction_under
from funding.models import FinancialYear, Fund, ReleaseOverride, ReleasePolicy
from partnerships.models import Partnership

from .models import AnnouncedDecision, Announcement

# The fund whose allocations the published decisions state.
PUBLISHED_FUND = "NRF"

# The decisions that set a funding state, and the state each sets.
FUNDING_OUTCOMES: dict[str, str] = {
    Decision.Outcome.ACCREDITED: FundingState.ACCREDITED,
    Decision.Outcome.ACCREDITED_WITH_CONCERNS: FundingState.ACCREDITED,
    Decision.Outcome.DEFERRED: FundingState.DEFERRED,
}
# How an update names each of them.
VERBS: dict[str, str] = {
    Decision.Outcome.ACCREDITED: "accredited",
    Decision.Outcome.ACCREDITED_WITH_CONCERNS: "accredited with areas of concern",
    Decision.Outcome.DEFERRED: "deferred",
}


def published_cycles(*, today: date) -> QuerySet[Cycle]:
    """Cycles whose announcement date has come, newest first, each with its `announcement` if
    it has been taken. Nothing of a cycle is public before its date."""
    return (
        Cycle.objects.filter(announcement_date__lte=today)
        .select_related("announcement")
        .order_by("-year_start")
    )


def published_cycle(*, year_start: int, today: date) -> Cycle | None:
    return published_cycles(today=today).filter(year_start=year_start).first()


def published_decisions(cycle: Cycle) -> QuerySet[Partnership]:
    """The cycle's decisions as they stand now: every partnership with an assessment in the
    cycle or an NRF allocation for its year, with `decision` (funding state), `decided_on` (the
    date of the decision in force), `review_date` (while deferred), and the year's NRF
    allocation, provenance and source, ordered by region and authority. Joins, not subqueries
    per row. What an announcement records, and what NRU staff see of a cycle before it is
    announced."""
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


# --- After the announcement ---------------------------------------------------------------------


def decisions_since(announcement: Announcement) -> QuerySet[Decision]:
    """The cycle's decisions that set a funding state and are not part of the announcement:
    recorded after it was taken (later than each line's `last_decision`), or dated after the
    announcement date. Ordered by the date they took effect."""
    reflected = AnnouncedDecision.objects.filter(
        announcement=announcement, assessment=OuterRef("assessment"),
        last_decision_id__gte=OuterRef("pk"),
    )
    return (
        Decision.objects.filter(assessment__cycle_id=announcement.cycle_id,
                                outcome__in=list(FUNDING_OUTCOMES))
        .filter(Q(decided_on__gt=announcement.announced_on) | ~Exists(reflected))
        .order_by("decided_on", "id")
    )


def announced_lines(announcement: Announcement) -> QuerySet[AnnouncedDecision]:
    """The announcement's lines in the written answer's order, each with its status now:
    `status_current`, `review_date_current` (while deferred) and `changed_on`, the date of the
    latest decision since the announcement (None if there was none). One query."""
    # One assessment per partnership and cycle: unordered, so not joined and sorted per line.
    cycle_assessment = SelfAssessment.objects.filter(
        partnership=OuterRef("partnership"), cycle_id=announcement.cycle_id).order_by()
    latest_since = decisions_since(announcement).filter(
        assessment__partnership=OuterRef("partnership")).order_by("-id")
    return (
        AnnouncedDecision.objects.filter(announcement=announcement)
        .annotate(
            status_current=Coalesce(Subquery(cycle_assessment.values("funding_state")[:1]),
                                    Value(FundingState.UNDECIDED), output_field=CharField()),
            review_date_current=Subquery(
                cycle_assessment.filter(funding_state=FundingState.DEFERRED).values("review_date")[:1]),
            changed_on=Subquery(latest_since.values("decided_on")[:1]),
        )
        .order_by("position")
    )


@dataclass(frozen=True)
class Update:
    """A decision since the announcement, as a dated line beneath it."""

    on: date
    partnership: str
    text: str


def _money_phrase(before: Decimal | None, after: Decimal | None, what: str) -> str:
    if before is None or after is None or before == after:
        return ""
    if after == 1:
        return f"its remaining {what} released" if before > 0 else f"its {what} released"
    return f"{percent(after)} of its {what} released"


def announcement_updates(announcement: Announcement) -> list[Update]:
    """Each decision since the announcement as a line: "Walsall LSP accredited following review by
    the Government Office for West Midlands; its remaining NRF 2002/03 allocation released",
    ordered by the date it took effect. What it released follows from the state before it (the
    announced status, or the update before) by the cycle's release policy."""
    decisions = list(decisions_since(announcement).select_related(
        "assessment__partnership__local_authority__region"))
    if not decisions:
        return []
    announced = dict(
        AnnouncedDecision.objects.filter(
            announcement=announcement,
            partnership__in={d.assessment.partnership_id for d in decisions},
        ).values_list("partnership_id", "status")
    )
    policy = ReleasePolicy.objects.filter(
        fund__code=announcement.fund_code, year__label=announcement.year_label,
        governing_cycle_id=announcement.cycle_id).first()
    overrides = dict(
        ReleaseOverride.objects.filter(policy=policy).values_list("partnership_id", "fraction")
    ) if policy else {}
    what = f"{announcement.fund_code} {announcement.year_label} allocation"

    def fraction(partnership_id: int, state: str) -> Decimal | None:
        if policy is None:
            return None
        return fraction_under(policy, state, override=overrides.get(partnership_id))

    # The state before each decision: the announced one, then each decision's in the order
    # they were recorded (an assessment's decisions are recorded one at a time, under its lock).
    before: dict[int, str] = {}
    state = dict(announced)
    for d in sorted(decisions, key=lambda d: d.pk):
        pid = d.assessment.partnership_id
        before[d.pk] = state.get(pid, FundingState.UNDECIDED)
        state[pid] = FUNDING_OUTCOMES[d.outcome]

    updates = []
    for d in decisions:
        partnership = d.assessment.partnership
        region = partnership.local_authority.region
        after = FUNDING_OUTCOMES[d.outcome]
        verb = VERBS[d.outcome]
        text = f"{partnership.name} {verb}"
        if before[d.pk] == FundingState.DEFERRED:
            text += " following review"
        text += f" by the {region.government_office}"
        if d.outcome == Decision.Outcome.DEFERRED and d.review_date:
            text += f", to be reviewed by {d.review_date:%-d %B %Y}"
        money = _money_phrase(fraction(partnership.pk, before[d.pk]),
                              fraction(partnership.pk, after), what)
        if money:
            text += f"; {money}"
        updates.append(Update(on=d.decided_on, partnership=partnership.name, text=text))
    return updates
