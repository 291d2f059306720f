"""A small national picture for the dashboard, export and import tests (not the full demo)."""

import datetime as dt

from accreditation.models import Decision
from core.models import Provenance
from funding.ledger import releases_recompute
from reporting import dashboard
from tests.factories import (
    AllocationFactory,
    CycleFactory,
    FinancialYearFactory,
    FundFactory,
    LocalAuthorityFactory,
    PartnershipFactory,
    RegionFactory,
    ReleasePolicyFactory,
    SelfAssessmentFactory,
    SourceFactory,
)
from tests.row_snapshot import restored

# name, region slug, state in the 2002/03 cycle, NRF 2002/03 pence, provenance
SPECS = [
    ("Gateshead", "north-east", "accredited", 300_000_001, Provenance.PUBLISHED),
    ("Sunderland", "north-east", "accredited", 450_000_000, Provenance.DERIVED),
    ("Walsall", "west-midlands", "deferred", 612_345_679, Provenance.ILLUSTRATIVE),
    ("Sandwell", "west-midlands", "under_review", 700_000_000, Provenance.ILLUSTRATIVE),
    ("Wolverhampton", "west-midlands", None, 500_000_000, Provenance.PUBLISHED),
]
ACCREDITED_ON = dt.date(2002, 2, 26)
WALSALL_GSS = "E08000002"  # generated below: "E080000" + the row number
REGIONS = {"north-east": "North East", "west-midlands": "West Midlands"}


def build_world() -> dict:
    """The world below, built once per test process and restored per test
    (tests/row_snapshot.py); a fresh copy of its objects each time."""
    return restored(_build_world)


def _build_world() -> dict:
    """Two regions, five partnerships: two accredited, one deferred, one under review, one with
    no assessment; NRF 2002/03 governed by the 2002/03 cycle, NRF 2001/02 ungoverned (each
    area's 2001/02 figure is 2/3 of its 2002/03); ledger posted by the real recompute."""
    nrf = FundFactory(code="NRF")
    y2001 = FinancialYearFactory(start_year=2001)
    year = FinancialYearFactory(start_year=2002)
    cycle = CycleFactory(year_start=2002)
    policy = ReleasePolicyFactory(fund=nrf, year=year, governing_cycle=cycle)
    ReleasePolicyFactory(fund=nrf, year=y2001, ungoverned=True)  # released in full
    source = SourceFactory(key="HL2003")
    regions = {slug: RegionFactory(name=name, slug=slug) for slug, name in REGIONS.items()}
    partnerships = {}
    for n, (name, region, state, amount, provenance) in enumerate(SPECS):
        la = LocalAuthorityFactory(name=name, slug=name.lower(), region=regions[region],
                                   gss_code=f"E080000{n:02d}")
        p = PartnershipFactory(local_authority=la)
        AllocationFactory(partnership=p, fund=nrf, year=year, amount_pence=amount,
                          provenance=provenance,
                          source=source if provenance == Provenance.PUBLISHED else None)
        AllocationFactory(partnership=p, fund=nrf, year=y2001, amount_pence=amount * 2 // 3,
                          provenance=Provenance.DERIVED)
        if state:
            SelfAssessmentFactory(partnership=p, cycle=cycle, state=state)
        releases_recompute(partnership=p)
        partnerships[name] = p
    # The decisions took effect before the 28 February 2002 announcement that made them public
    # (the factory dates an accreditation on the day it runs).
    Decision.objects.filter(assessment__cycle=cycle, decided_on__gt=cycle.announcement_date).update(
        decided_on=ACCREDITED_ON)
    scope = dashboard.dashboard_scope(fund=nrf, year=year)
    return {"scope": scope, "policy": policy, "partnerships": partnerships, "cycle": cycle,
            "regions": regions, "nrf": nrf, "year": year, "y2001": y2001, "source": source}


REGION_NAMES = ["East Midlands", "East of England", "London", "North East", "North West",
                "South East", "South West", "West Midlands", "Yorkshire and The Humber"]


# The generated decisions take effect over a fortnight (18 February to 3 March 2002); the
# position as at AS_AT_DAY has about half of them.
FIRST_DECISION = dt.date(2002, 2, 18)
AS_AT_DAY = dt.date(2002, 2, 24)


def generate_national(count: int, *, seed: int = 2002, prefix: str = "Area") -> dict:
    """`count` partnerships in the nine regions, each with NRF 2001/02 to 2003/04 allocations, a
    2002/03 assessment (about 95% accredited, 3% deferred, the rest undecided) with the event of
    its decision, and a ledger that agrees with the rule, each entry effective on its
    decision's date, written with bulk inserts so that 10,000 take seconds.

    Returns what the dashboard should show for NRF 2002/03, now and as at AS_AT_DAY
    (`expected_as_at`), summed here independently."""
    import random
    from decimal import Decimal

    from accreditation.models import AccreditationEvent, FundingState, SelfAssessment, Status
    from funding import rules
    from funding.models import Allocation, ReleaseEntry
    from partnerships.models import LocalAuthority, Partnership, Region

    rng = random.Random(seed)
    nrf = FundFactory(code="NRF")
    years = [FinancialYearFactory(start_year=y) for y in (2001, 2002, 2003)]
    cycle = CycleFactory(year_start=2002, requirements=0)
    policy = ReleasePolicyFactory(fund=nrf, year=years[1], governing_cycle=cycle)
    for ungoverned in (years[0], years[2]):  # released in full, as explicit policies say
        ReleasePolicyFactory(fund=nrf, year=ungoverned, ungoverned=True)
    regions = [Region.objects.get_or_create(slug=name.lower().replace(" ", "-"),
                                            defaults={"name": name})[0] for name in REGION_NAMES]
    authorities = LocalAuthority.objects.bulk_create([
        LocalAuthority(name=f"{prefix} {n:05d}", slug=f"{prefix.lower()}-{n:05d}",
                       gss_code=f"{prefix[0].upper()}{n:08d}", region=regions[n % len(regions)])
        for n in range(count)
    ], batch_size=2000)
    partnerships = Partnership.objects.bulk_create([
        Partnership(local_authority=a, name=f"{a.name} LSP", slug=a.slug,
                    accountable_body=f"{a.name} Council")
        for a in authorities
    ], batch_size=2000)
    provenances = [Provenance.PUBLISHED, Provenance.DERIVED, Provenance.ILLUSTRATIVE]
    allocations = []
    for n, p in enumerate(partnerships):
        base = rng.randint(10_000_000, 500_000_000)  # 2002/03 in pence; 2:3:4 across the years
        for year, amount in zip(years, (base * 2 // 3, base, base * 4 // 3), strict=True):
            allocations.append(Allocation(partnership=p, fund=nrf, year=year, amount_pence=amount,
                                          provenance=provenances[n % 3]))
    allocations = Allocation.objects.bulk_create(allocations, batch_size=2000)
    states = {}
    assessments = []
    for p in partnerships:
        roll = rng.random()
        state = (FundingState.ACCREDITED if roll < 0.95 else
                 FundingState.DEFERRED if roll < 0.98 else FundingState.UNDECIDED)
        states[p.pk] = state
        status = {FundingState.ACCREDITED: Status.ACCREDITED, FundingState.DEFERRED: Status.DEFERRED,
                  FundingState.UNDECIDED: Status.UNDER_REVIEW}[state]
        assessments.append(SelfAssessment(
            partnership=p, cycle=cycle, status=status, funding_state=state,
            review_date=policy.year.starts_on if state == FundingState.DEFERRED else None,
        ))
    assessments = SelfAssessment.objects.bulk_create(assessments, batch_size=2000)
    decided_on = {}
    events = []
    for n, assessment in enumerate(assessments):
        if assessment.funding_state == FundingState.UNDECIDED:
            continue
        day = FIRST_DECISION + dt.timedelta(days=n % 14)
        decided_on[assessment.partnership_id] = day
        events.append(AccreditationEvent(
            assessment=assessment, from_status=Status.UNDER_REVIEW, to_status=assessment.status,
            actor_label="generated", effective_on=day))
    AccreditationEvent.objects.bulk_create(events, batch_size=2000)
    fractions = rules.Fractions(accredited=policy.fraction_accredited,
                                deferred=policy.fraction_deferred,
                                undecided=policy.fraction_undecided)
    entries = []
    expected = {"anticipated": 0, "released": 0, "accredited": 0, "deferred": 0, "undecided": 0}
    expected_as_at = dict(expected)
    for allocation in allocations:
        governed = allocation.year_id == policy.year_id
        state = states[allocation.partnership_id]
        fraction = rules.fraction_for(state, fractions, governed=governed)
        target = rules.target_released(allocation.amount_pence, fraction)
        day = decided_on.get(allocation.partnership_id) if governed else None
        if target:
            entries.append(ReleaseEntry(
                allocation=allocation, amount_pence=target, target_pence=target,
                allocation_pence=allocation.amount_pence, fraction=Decimal(fraction),
                funding_state=state if governed else "ungoverned",
                cause=ReleaseEntry.Cause.INITIAL, effective_on=day or FIRST_DECISION,
            ))
        if governed:
            expected["anticipated"] += allocation.amount_pence
            expected["released"] += target
            expected[state] += 1
            then = day is not None and day <= AS_AT_DAY
            expected_as_at["anticipated"] += allocation.amount_pence
            expected_as_at["released"] += target if then else 0
            expected_as_at[state if then else FundingState.UNDECIDED] += 1
    ReleaseEntry.objects.bulk_create(entries, batch_size=2000)
    # Production tables have statistics (autovacuum analyses them); freshly bulk-loaded test
    # tables have none, and PostgreSQL then plans the regional aggregate as nested seq scans.
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"nrf": nrf, "year": years[1], "cycle": cycle, "expected": expected,
            "expected_as_at": expected_as_at, "partnerships": count}
