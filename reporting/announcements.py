"""Taking a cycle's announcement: the one write of the published record.

When a cycle's announcement date has come on the service's clock, what is announced is recorded
once, as an `Announcement` with a line per partnership (`reporting.models`), and never
recomputed: later decisions are dated updates beneath it (`reporting.published`). It is taken by
whichever comes first on or after the date: the first public read of the cycle, the beat task
`reporting.announcements_take_due` (every few minutes), or the demo loader.

Taking it is idempotent and safe when several processes try at once: the cycle's row is locked
(FOR NO KEY UPDATE, which new assessments of the cycle do not wait for) and whoever gets the lock
second finds the record made; the one-to-one key on the cycle refuses a second record in any case.

What it records is the cycle as announced: each assessment's status is that of its latest
decision dated on or before the announcement date (a decision dated after it is a later update,
even if it was recorded before the record was taken); an assessment with no decision keeps the
state it has. The figures released and held are what the release policy gives for those
statuses (`funding.basis`), the rule the ledger posts by, so they do not depend on whether the
ledger's recompute has run yet (docs/adr/0018-published-record-kept-as-announced.md).
"""

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Subquery

from accreditation.models import Cycle, Decision, FundingState
from core import clock
from core.money import pounds
from funding.basis import FractionResolver
from funding.models import Allocation, FinancialYear
from funding.rules import target_released

from . import published
from .models import AnnouncedDecision, Announcement


def announcement_get_or_take(*, cycle: Cycle, today: date) -> Announcement | None:
    """The cycle's announcement, taken now if its announcement date has come and nobody has
    taken it yet; None before the date."""
    try:
        return cycle.announcement
    except Announcement.DoesNotExist:
        pass
    if cycle.announcement_date > today:
        return None
    try:
        with transaction.atomic():
            locked = Cycle.objects.select_for_update(no_key=True).get(pk=cycle.pk)
            existing = Announcement.objects.filter(cycle=locked).first()
            if existing is not None:
                return existing
            if locked.announcement_date > today:
                return None
            return _take(locked)
    except IntegrityError:
        # Another process made it between our look and our insert (a database without row
        # locks): theirs is the record.
        return Announcement.objects.get(cycle=cycle)


def announcements_take_due(*, today: date) -> list[Announcement]:
    """Take the announcement of every cycle whose date has come and has none yet (the beat task
    and the demo loader). Running it again takes nothing."""
    taken = []
    for cycle in Cycle.objects.filter(announcement_date__lte=today, announcement__isnull=True):
        announcement = announcement_get_or_take(cycle=cycle, today=today)
        if announcement is not None:
            taken.append(announcement)
    return taken


def _take(cycle: Cycle) -> Announcement:
    announced_on = cycle.announcement_date
    funding_decisions = Decision.objects.filter(
        assessment=OuterRef("cycle_assessment__id"),
        outcome__in=list(published.FUNDING_OUTCOMES),
    )
    # One statement: each line's state, allocation and decisions from one view of the database.
    lines: list[Any] = list(  # Partnerships with published_decisions' annotations and these
        published.published_decisions(cycle).annotate(
            assessment_pk=F("cycle_assessment__id"),
            nrf_fund_id=F("nrf__fund_id"),
            nrf_year_id=F("nrf__year_id"),
            last_decision_pk=Subquery(
                Decision.objects.filter(assessment=OuterRef("cycle_assessment__id"))
                .order_by("-id").values("id")[:1]),
            announced_decision_pk=Subquery(
                funding_decisions.filter(decided_on__lte=announced_on)
                .order_by("-id").values("id")[:1]),
            has_funding_decision=Exists(funding_decisions),
        )
    )
    announced_decisions = Decision.objects.in_bulk(
        [p.announced_decision_pk for p in lines if p.announced_decision_pk])
    resolver = FractionResolver.load([p.pk for p in lines])
    year = FinancialYear.objects.filter(start_year=cycle.year_start).first()

    rows = []
    for position, p in enumerate(lines, start=1):
        if p.has_funding_decision:
            # Its latest decision dated on or before the announcement, if any.
            decision = announced_decisions.get(p.announced_decision_pk)
            status: str = FundingState.UNDECIDED
            review_date = None
            if decision is not None:
                status = published.FUNDING_OUTCOMES[decision.outcome]
                if status == FundingState.DEFERRED:
                    review_date = decision.review_date
        else:
            status, review_date = p.decision, p.review_date
        released = held = None
        if p.nrf_pence is not None:
            resolver.states[(p.pk, cycle.pk)] = (status, None)
            basis = resolver.basis(Allocation(partnership_id=p.pk, fund_id=p.nrf_fund_id,
                                              year_id=p.nrf_year_id, amount_pence=p.nrf_pence))
            released = target_released(p.nrf_pence, basis.fraction)
            held = p.nrf_pence - released
        authority = p.local_authority
        rows.append(AnnouncedDecision(
            position=position, partnership_id=p.pk, assessment_id=p.assessment_pk,
            last_decision_id=p.last_decision_pk,
            region=authority.region.name, government_office=authority.region.government_office,
            authority=authority.name, gss_code=authority.gss_code or "", partnership_name=p.name,
            status=status, review_date=review_date, allocation_pence=p.nrf_pence,
            released_pence=released, held_pence=held,
            provenance=p.nrf_provenance or "", source=p.nrf_source or "",
        ))

    totals = {
        "partnerships": len(rows),
        "accredited": sum(r.status == FundingState.ACCREDITED for r in rows),
        "deferred": sum(r.status == FundingState.DEFERRED for r in rows),
        "undecided": sum(r.status == FundingState.UNDECIDED for r in rows),
        "allocation_pence": sum(r.allocation_pence or 0 for r in rows),
        "released_pence": sum(r.released_pence or 0 for r in rows),
        "held_pence": sum(r.held_pence or 0 for r in rows),
    }
    announcement = Announcement.objects.create(
        cycle=cycle, announced_on=announced_on, recorded_at=clock.now(),
        fund_code=published.PUBLISHED_FUND, year_label=year.label if year else cycle.name,
        answer=answer_text(cycle=cycle, announced_on=announced_on, **totals), **totals,
    )
    for row in rows:
        row.announcement = announcement
    AnnouncedDecision.objects.bulk_create(rows, batch_size=2000)
    return announcement


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def answer_text(*, cycle: Cycle, announced_on: date, partnerships: int, accredited: int,
                deferred: int, undecided: int, allocation_pence: int, released_pence: int,
                held_pence: int) -> str:
    """The written answer's text, in the words of an answer to Parliament."""
    day = f"{announced_on:%-d %B %Y}"
    if not (accredited or deferred):
        return (
            f"The {cycle.name} accreditation of Local Strategic Partnerships was due to be "
            f"announced on {day}. No decision has been recorded yet for any of the "
            f"{partnerships} partnerships. Their Neighbourhood Renewal Fund allocations for "
            f"{cycle.name}, which total {pounds(allocation_pence)}, are as follows."
        )
    outcome = f"{_count(accredited, 'partnership has', 'partnerships have')} been accredited"
    if deferred:
        whose = "its" if deferred == 1 else "their"
        outcome += f" and {deferred} deferred pending review by {whose} Government Office"
    if undecided:
        outcome += f"; {_count(undecided, 'has', 'have')} yet to be decided"
    money = (f"Accreditation releases each partnership's Neighbourhood Renewal Fund allocation "
             f"for {cycle.name}, which totals {pounds(allocation_pence)}")
    if held_pence:
        money += (f": {pounds(released_pence)} is released on these decisions and "
                  f"{pounds(held_pence)} held until the partnerships concerned are accredited")
    return (
        f"On {day} the outcome of the {cycle.name} accreditation of Local Strategic "
        f"Partnerships in the {partnerships} local authority areas receiving the Neighbourhood "
        f"Renewal Fund was announced. {outcome}. {money}. The information is as follows."
    )
