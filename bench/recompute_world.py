"""Part (b) of bench_recompute.py: a generated world of 10,000 partnerships, a bulk insert of
as many ledger rows as the recompute will post, and `releases_recompute --all` itself."""

import time

from recompute_common import _peak_mb, _setup_django

# --- (b) Recompute everything --------------------------------------------------------------------

REGION_NAMES = ["East Midlands", "East of England", "London", "North East", "North West",
                "South East", "South West", "West Midlands", "Yorkshire and The Humber"]
STATES_2002 = ((0.90, "accredited"), (0.97, "deferred"), (1.01, "undecided"))
STATES_2003 = ((0.60, "accredited"), (0.70, "deferred"), (1.01, None))  # None: no assessment


def generate(url: str, count: int, seed: int = 2002) -> dict:
    """The world of part (b), bulk inserted; returns what the rule says the ledger must post,
    computed here from the generated rows (not by the service under test)."""
    import datetime as dt
    import random
    from decimal import Decimal

    started = time.perf_counter()
    _setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from accreditation.models import AccreditationEvent, FundingState, SelfAssessment, Status
    from funding import rules
    from funding.models import Allocation
    from partnerships.models import LocalAuthority, Partnership, Region
    from tests.factories import (
        CycleFactory,
        FinancialYearFactory,
        FundFactory,
        ReleasePolicyFactory,
    )

    rng = random.Random(seed)
    nrf, cef = FundFactory(code="NRF"), FundFactory(code="CEF")
    years = [FinancialYearFactory(start_year=y) for y in (2001, 2002, 2003)]
    cycles = {2002: CycleFactory(year_start=2002, requirements=0),
              2003: CycleFactory(year_start=2003, requirements=0)}
    policies = {
        years[1].pk: ReleasePolicyFactory(fund=nrf, year=years[1], governing_cycle=cycles[2002]),
        years[2].pk: ReleasePolicyFactory(fund=nrf, year=years[2], governing_cycle=cycles[2003]),
    }
    ReleasePolicyFactory(fund=nrf, year=years[0], ungoverned=True)
    for year in years:  # CEF follows no cycle: released in full by an explicit policy
        ReleasePolicyFactory(fund=cef, year=year, ungoverned=True)
    regions = [Region.objects.get_or_create(slug=name.lower().replace(" ", "-"),
                                            defaults={"name": name})[0] for name in REGION_NAMES]
    authorities = LocalAuthority.objects.bulk_create([
        LocalAuthority(name=f"Area {n:05d}", slug=f"area-{n:05d}", gss_code=f"B{n:08d}",
                       region=regions[n % len(regions)])
        for n in range(count)
    ], batch_size=2000)
    partnerships = Partnership.objects.bulk_create([
        Partnership(local_authority=a, name=f"{a.name} LSP", slug=a.slug,
                    accountable_body=f"{a.name} Council")
        for a in authorities
    ], batch_size=2000)

    def pick(table):
        roll = rng.random()
        return next(state for limit, state in table if roll < limit)

    states: dict[tuple[int, int], str] = {}  # (partnership, year) -> funding state
    assessments = []
    for p in partnerships:
        for year, table in ((years[1], STATES_2002), (years[2], STATES_2003)):
            state = pick(table)
            if state is None:
                continue
            states[(p.pk, year.pk)] = state
            status = {FundingState.ACCREDITED: Status.ACCREDITED,
                      FundingState.DEFERRED: Status.DEFERRED,
                      FundingState.UNDECIDED: Status.UNDER_REVIEW}[state]
            assessments.append(SelfAssessment(
                partnership=p, cycle=cycles[year.start_year], status=status, funding_state=state,
                review_date=dt.date(year.start_year + 1, 3, 28) if state == "deferred" else None,
            ))
    assessments = SelfAssessment.objects.bulk_create(assessments, batch_size=2000)
    AccreditationEvent.objects.bulk_create([
        AccreditationEvent(assessment=a, from_status=Status.UNDER_REVIEW, to_status=a.status,
                           actor_label="GO bench")
        for a in assessments if a.status in (Status.ACCREDITED, Status.DEFERRED)
    ], batch_size=2000)

    allocations = []
    for n, p in enumerate(partnerships):
        base = rng.randint(10_000_000, 500_000_000)  # NRF 2002/03; 2 : 3 : 4 across the years
        cef_base = rng.randint(1_000_000, 10_000_000)
        provenance = ("published", "derived", "illustrative")[n % 3]
        for year, amount in zip(years, (base * 2 // 3, base, base * 4 // 3), strict=True):
            allocations.append(Allocation(partnership=p, fund=nrf, year=year, amount_pence=amount,
                                          provenance=provenance))
            allocations.append(Allocation(partnership=p, fund=cef, year=year,
                                          amount_pence=cef_base + year.start_year,
                                          provenance="published"))
    Allocation.objects.bulk_create(allocations, batch_size=2000)

    expected = {"entries": 0, "pence": 0, "partial": 0}
    for allocation in allocations:
        policy = policies.get(allocation.year_id) if allocation.fund_id == nrf.pk else None
        if policy is None:  # NRF 2001/02 and CEF: policies with no governing cycle
            fraction = rules.WHOLE
        else:
            state = states.get((allocation.partnership_id, allocation.year_id), "undecided")
            fraction = rules.fraction_for(state, policy.fractions())
        target = rules.target_released(allocation.amount_pence, Decimal(fraction))
        if target:
            expected["entries"] += 1
            expected["pence"] += target
            expected["partial"] += target < allocation.amount_pence
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()
    return {
        "partnerships": count,
        "allocations": len(allocations),
        "assessments": len(assessments),
        "seconds": time.perf_counter() - started,
        **expected,
    }


def bulk_insert(url: str, rows: int) -> dict:
    """`rows` ledger rows (one per allocation, like a first recompute) inserted with Django's
    bulk_create (batches of 2,000) in one transaction, then rolled back so the ledger stays
    empty for the recompute; and, for context, the same rows by COPY."""
    from decimal import Decimal

    _setup_django(url)
    from django.db import connection, transaction
    from django.utils import timezone

    from funding.models import Allocation, ReleaseEntry

    allocations = list(Allocation.objects.order_by("id").values_list("id", "amount_pence")[:rows])
    started = time.perf_counter()
    with transaction.atomic():
        ReleaseEntry.objects.bulk_create([
            ReleaseEntry(allocation_id=pk, amount_pence=amount, target_pence=amount,
                         allocation_pence=amount, fraction=Decimal(1), funding_state="ungoverned",
                         cause=ReleaseEntry.Cause.MANUAL)
            for pk, amount in allocations
        ], batch_size=2000)
        seconds = time.perf_counter() - started
        inserted = ReleaseEntry.objects.count()
        transaction.set_rollback(True)
    # For context only: the same rows through COPY, the fastest way into PostgreSQL.
    import io

    now = timezone.now().isoformat()
    today = timezone.localdate().isoformat()
    data = io.StringIO("".join(f"{pk}\t{amount}\t{amount}\t{amount}\t1\tungoverned\tmanual\t\t{now}"
                               f"\t{today}\n" for pk, amount in allocations))
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.copy_expert(
            "COPY funding_releaseentry (allocation_id, amount_pence, target_pence, "
            "allocation_pence, fraction, funding_state, cause, note, created_at, effective_on) "
            "FROM STDIN", data)
        copy_seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    left = ReleaseEntry.objects.count()
    connection.close()
    return {"seconds": seconds, "copy_seconds": copy_seconds, "rows": inserted,
            "left_after_rollback": left}


def recompute_all(url: str) -> dict:
    from io import StringIO

    _setup_django(url)
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count, Sum

    from funding.models import ReleaseEntry

    before_mb = _peak_mb()
    out = StringIO()
    started = time.perf_counter()
    call_command("releases_recompute", "--all", stdout=out, stderr=StringIO())
    seconds = time.perf_counter() - started
    peak_mb = _peak_mb()
    posted = ReleaseEntry.objects.aggregate(n=Count("id"), pence=Sum("amount_pence"))

    # Statistics of the ledger as autovacuum would have them by the next run (they were taken
    # on an empty ledger; left stale, each batch's ledger sum scans the whole table).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE funding_releaseentry")
    started = time.perf_counter()
    again = StringIO()
    call_command("releases_recompute", "--all", stdout=again, stderr=StringIO())
    rerun_seconds = time.perf_counter() - started
    connection.close()
    return {
        "seconds": seconds,
        "rerun_seconds": rerun_seconds,
        "entries": posted["n"],
        "pence": posted["pence"] or 0,
        "after_rerun": ReleaseEntry.objects.count(),
        "rss_before_mb": before_mb,
        "peak_mb": max(peak_mb, _peak_mb()),
        "summary": out.getvalue().strip(),
        "rerun_summary": again.getvalue().strip(),
    }


