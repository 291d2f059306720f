"""Funding recompute: (a) latency from a committed transition to its ledger entry through a real
Celery worker on Redis; (b) `releases_recompute --all` over 10,000 partnerships x 3 years x 2
funds beside a bulk insert of as many ledger rows, and its peak memory.

    python bench/bench_recompute.py
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/lsp_bench python bench/bench_recompute.py
    python bench/bench_recompute.py --transitions 100 --partnerships 2000

PostgreSQL only: the worker is another process on the same database, and arrivals are heard
with LISTEN/NOTIFY. The database is `<BENCH_DATABASE_URL>_recompute`, or by default
postgres://postgres@127.0.0.1:5432/lsp_bench_recompute, dropped and created again for each
part. Redis is BENCH_REDIS_URL, else CELERY_BROKER_URL / REDIS_URL, else
redis://127.0.0.1:6379/0, with a queue of the run's own (its keys removed afterwards). Without
PostgreSQL the script says why and skips; without Redis it skips part (a).

(a) A `celery -A lsp_portal worker` process (prefork, two children, the project's settings)
consumes a private queue. Partnerships, each submitted for 2002/03 with NRF 2001/02 and 2002/03
allocations, go through start review -> defer -> start review -> accredit, one transition at a
time. Each defer and accredit moves money: the time from its commit (an on_commit callback
registered before the service's own) to the moment this process is notified of the worker's
ledger row (a trigger on funding_releaseentry doing pg_notify, heard by a listening thread) is
one sample. Two partnerships warm the worker up first and are not counted. Every transition's
time to its settled recompute request is reported too. Target: p95 under 500 ms.

(b) A generated world (bulk inserts, then ANALYZE): 10,000 partnerships in nine regions, NRF
and CEF allocations for 2001/02 to 2003/04, NRF 2002/03 governed by the 2002/03 cycle (about
90% accredited, 7% deferred, 3% under review) and NRF 2003/04 by the 2003/04 cycle (60% / 10% /
30% undecided), each decision with its event; NRF 2001/02 and CEF released in full by policies
with no governing cycle; an empty ledger.
Then, each in a fresh process: the time to bulk-insert as many ledger rows as the recompute will
post, with Django's bulk_create in one transaction (rolled back, so it pays no commit: the
comparison favours the baseline; COPY is timed too, for context); and `manage.py
releases_recompute --all` (the command, batches of 100 partnerships), checked against the rule
as computed by the generator, then run again after ANALYZE (nothing to post), with the peak
resident memory of that process (ru_maxrss). Targets: within 5x the bulk insert; peak memory
under 300 MB.
"""

import argparse
import json
import os
import select
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from recompute_common import (
    CHANNEL,
    ROOT,
    TARGET_MEMORY_MB,
    TARGET_P95_MS,
    TARGET_RATIO,
    WARM_UP_PARTNERSHIPS,
    _database_url,
    _fresh_postgresql,
    _percentile,
    _postgresql_problem,
    _redis_problem,
    _redis_url,
    _setup_django,
)
from recompute_world import bulk_insert, generate, recompute_all

# --- (a) Latency through a real worker ------------------------------------------------------------

NOTIFY_SQL = f"""
CREATE FUNCTION bench_entry_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('{CHANNEL}', 'e:' || coalesce(NEW.event_id::text, '-')); RETURN NULL; END $$;
CREATE TRIGGER bench_entry_notify AFTER INSERT ON funding_releaseentry
    FOR EACH ROW EXECUTE FUNCTION bench_entry_notify();
CREATE FUNCTION bench_settled_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('{CHANNEL}', 'r:' || NEW.id::text); RETURN NULL; END $$;
CREATE TRIGGER bench_settled_notify AFTER UPDATE OF completed_at ON funding_recomputerequest
    FOR EACH ROW WHEN (OLD.completed_at IS NULL AND NEW.completed_at IS NOT NULL)
    EXECUTE FUNCTION bench_settled_notify();
"""


class Listener(threading.Thread):
    """LISTENs on its own connection and stamps each notification as it arrives."""

    def __init__(self, dsn: str):
        super().__init__(daemon=True)
        import psycopg2

        self.connection = psycopg2.connect(dsn)
        self.connection.autocommit = True
        self.connection.cursor().execute(f"LISTEN {CHANNEL}")
        self.arrivals: dict[str, float] = {}
        self.condition = threading.Condition()
        self.stopping = False

    def run(self) -> None:
        while not self.stopping:
            if not select.select([self.connection], [], [], 0.2)[0]:
                continue
            self.connection.poll()
            now = time.perf_counter()
            with self.condition:
                while self.connection.notifies:
                    self.arrivals.setdefault(self.connection.notifies.pop(0).payload, now)
                self.condition.notify_all()

    def wait(self, payload: str, timeout: float = 30) -> float:
        with self.condition:
            if not self.condition.wait_for(lambda: payload in self.arrivals, timeout):
                raise TimeoutError(f"no {payload} within {timeout} s")
            return self.arrivals[payload]

    def stop(self) -> None:
        self.stopping = True
        self.join(timeout=2)
        self.connection.close()


class Worker:
    def __init__(self, *, database_url: str, broker_url: str, queue: str, log: Path):
        env = {k: v for k, v in os.environ.items() if k != "CELERY_TASK_ALWAYS_EAGER"}
        env.update(DATABASE_URL=database_url, CELERY_BROKER_URL=broker_url,
                   DJANGO_SETTINGS_MODULE="lsp_portal.settings", PYTHONUNBUFFERED="1",
                   EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
        self.log = log
        self._out = open(log, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "lsp_portal", "worker", "--pool", "prefork",
             "--concurrency", "2", "-Q", queue, "-n", f"bench-{queue}@%h", "--loglevel", "INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log.read_text()[-3000:]}")
            if " ready." in self.log.read_text():
                return
            time.sleep(0.1)
        raise RuntimeError(f"worker not ready in {timeout} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._out.close()


def _latency_world(count: int):
    """`count` partnerships in the West Midlands, each submitted for 2002/03, with NRF 2001/02
    (ungoverned) and 2002/03 (governed: 100% / 67% / 0%) allocations, their ledgers settled."""
    from accreditation.models import SelfAssessment
    from funding.ledger import releases_recompute_many
    from tests.factories import (
        AllocationFactory,
        CycleFactory,
        FinancialYearFactory,
        FundFactory,
        LocalAuthorityFactory,
        PartnershipFactory,
        RegionFactory,
        ReleasePolicyFactory,
        RoleAssignmentFactory,
        SelfAssessmentFactory,
    )
    from tests.funding.celery_control import celery_publishing

    region = RegionFactory(name="West Midlands", slug="west-midlands")
    nrf = FundFactory(code="NRF")
    y2001, y2002 = FinancialYearFactory(start_year=2001), FinancialYearFactory(start_year=2002)
    cycle = CycleFactory(year_start=2002)
    ReleasePolicyFactory(fund=nrf, year=y2002, governing_cycle=cycle)
    ReleasePolicyFactory(fund=nrf, year=y2001, ungoverned=True)
    reviewer = RoleAssignmentFactory(reviewer=True, region=region).user
    chair = RoleAssignmentFactory(chair=True).user
    assessments = []
    with celery_publishing(eager=True):  # setup's own recomputes run in this process
        for n in range(count):
            la = LocalAuthorityFactory(name=f"Bench {n:04d}", region=region)
            partnership = PartnershipFactory(local_authority=la)
            amount = 100_000_000 + 1_234_567 * n
            AllocationFactory(partnership=partnership, fund=nrf, year=y2002, amount_pence=amount)
            AllocationFactory(partnership=partnership, fund=nrf, year=y2001,
                              amount_pence=amount * 2 // 3)
            assessments.append(SelfAssessmentFactory(partnership=partnership, cycle=cycle,
                                                     submitted=True, chair_user=chair).pk)
    releases_recompute_many(
        partnership_ids=list(SelfAssessment.objects.values_list("partnership_id", flat=True)))
    return reviewer, assessments


def measure_latency(url: str, redis_url: str, transitions: int) -> dict:
    import datetime as dt

    started = time.perf_counter()
    _setup_django(url)
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(NOTIFY_SQL)

    from accreditation.models import AccreditationEvent, Requirement, SelfAssessment
    from accreditation.services.decisions import Concern, assessment_accredit, assessment_defer
    from accreditation.services.review import assessment_start_review
    from funding.models import RecomputeRequest, ReleaseEntry
    from tests.funding.celery_control import celery_publishing

    partnerships = WARM_UP_PARTNERSHIPS + (transitions + 1) // 2
    reviewer, assessment_ids = _latency_world(partnerships)
    review_on, decided_on = dt.date(2002, 3, 28), dt.date(2002, 2, 28)

    queue = f"lsp-bench-{uuid.uuid4().hex[:10]}"
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    worker = Worker(database_url=url, broker_url=redis_url, queue=queue,
                    log=folder / "recompute-worker.log")
    listener = Listener(url)
    listener.start()
    setup_seconds = time.perf_counter() - started
    decisions: list[float] = []  # seconds, commit -> ledger entry, defer and accredit
    settled: list[float] = []  # seconds, commit -> recompute request settled, every transition
    try:
        worker.wait_ready()
        def step(pk: int, action, *, counted: bool, moves_money: bool) -> None:
            """One transition, committed here; then wait for the worker's ledger row (when the
            transition moves money) and for its recompute request to be settled."""
            stamp: dict[str, float] = {}
            assessment = SelfAssessment.objects.get(pk=pk)
            with transaction.atomic():
                # Registered before the service's own callbacks (the enqueue), so it runs
                # first, straight after COMMIT.
                transaction.on_commit(lambda: stamp.setdefault("t", time.perf_counter()))
                action(assessment)
            committed = stamp["t"]
            event = AccreditationEvent.objects.filter(assessment_id=pk).latest("id")
            request = RecomputeRequest.objects.get(cause=RecomputeRequest.Cause.EVENT,
                                                   cause_id=event.pk)
            done = listener.wait(f"r:{request.pk}")
            if counted:
                settled.append(done - committed)
                if moves_money:
                    decisions.append(listener.wait(f"e:{event.pk}") - committed)

        requirement = Requirement.objects.filter(cycle__assessments=assessment_ids[0]).order_by(
            "order").first()
        concern = Concern(requirement=requirement, concern="Not yet shown.",
                          action_required="Show it.")
        with celery_publishing(url=redis_url, queue=queue, eager=False):
            for n, pk in enumerate(assessment_ids):
                counted = n >= WARM_UP_PARTNERSHIPS
                steps = [
                    (lambda a: assessment_start_review(assessment=a, by=reviewer), False),
                    (lambda a: assessment_defer(
                        assessment=a, by=reviewer, concerns=[concern], review_date=review_on,
                        on=decided_on, summary="Deferred pending review"), True),
                    (lambda a: assessment_start_review(assessment=a, by=reviewer,
                                                       today=review_on), False),
                    (lambda a: assessment_accredit(assessment=a, by=reviewer,
                                                   summary="Accredited"), True),
                ]
                for action, moves_money in steps:
                    if counted and len(decisions) >= transitions:
                        break
                    step(pk, action, counted=counted, moves_money=moves_money)
    finally:
        worker.stop()
        listener.stop()
        import redis

        client = redis.Redis.from_url(redis_url)
        client.delete(queue, *client.keys(f"_kombu.binding*.{queue}"))

    owed = RecomputeRequest.objects.filter(completed_at__isnull=True).count()
    entries = ReleaseEntry.objects.filter(event__isnull=False).count()
    connection.close()
    return {
        "setup_seconds": setup_seconds,
        "decisions": decisions,
        "settled": settled,
        "owed_after": owed,
        "decision_entries": entries,
    }


# --- The report ---------------------------------------------------------------------------------


def _child(phase: str, *args: str) -> dict:
    child = subprocess.run([sys.executable, __file__, "--phase", phase, *args], cwd=ROOT,
                           capture_output=True, text=True, check=False)
    if child.returncode != 0:
        raise RuntimeError(f"{phase} failed:\n{child.stdout[-2000:]}\n{child.stderr[-4000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _report_latency(result: dict, transitions: int) -> tuple[str, bool]:
    decisions, settled = result["decisions"], result["settled"]
    print(f"(a) commit -> ledger entry through a real Celery worker (prefork, 2 children, Redis), "
          f"{len(decisions)} money-moving transitions (defer, accredit) "
          f"[setup {result['setup_seconds']:.0f} s]")
    print(f"    median {_ms(statistics.median(decisions))}, p95 {_ms(_percentile(decisions, .95))}, "
          f"max {_ms(max(decisions))}, mean {_ms(statistics.mean(decisions))}")
    print(f"    every transition (incl. start review) to its settled recompute, {len(settled)}: "
          f"median {_ms(statistics.median(settled))}, p95 {_ms(_percentile(settled, .95))}")
    print(f"    recomputes still owed afterwards: {result['owed_after']}")
    p95 = _percentile(decisions, 0.95) * 1000
    ok = p95 < TARGET_P95_MS and len(decisions) == transitions and result["owed_after"] == 0
    return f"(a) p95 commit -> ledger entry = {p95:.0f} ms (target < {TARGET_P95_MS:.0f} ms)", ok


def _report_all(world: dict, bulk: dict, run: dict) -> list[tuple[str, bool]]:
    print(f"(b) {world['partnerships']:,} partnerships, {world['allocations']:,} allocations, "
          f"{world['assessments']:,} assessments [generated in {world['seconds']:.0f} s]")
    exact = (run["entries"] == world["entries"] == bulk["rows"] and run["pence"] == world["pence"]
             and run["after_rerun"] == run["entries"] and bulk["left_after_rollback"] == 0)
    print(f"    releases_recompute --all: {run['seconds']:.1f} s, {run['entries']:,} entries "
          f"({world['partial']:,} partial releases), total {run['pence']:,}p "
          f"{'= the rule' if exact else 'DIFFERS from the rule'}")
    print(f"    bulk insert of {bulk['rows']:,} ledger rows in one transaction: {bulk['seconds']:.1f} s")
    ratio = run["seconds"] / bulk["seconds"]
    print(f"    ratio recompute / bulk insert: {ratio:.2f}x "
          f"(for context: the same rows by COPY took {bulk['copy_seconds']:.1f} s, "
          f"{run['seconds'] / bulk['copy_seconds']:.1f}x)")
    print(f"    rerun after ANALYZE (nothing to post): {run['rerun_seconds']:.1f} s")
    print(f"    peak memory of the recompute process: {run['peak_mb']:.0f} MB "
          f"({run['rss_before_mb']:.0f} MB before it started)")
    return [
        (f"(b) recompute --all / bulk insert = {ratio:.2f}x (target <= {TARGET_RATIO:.0f}x)",
         ratio <= TARGET_RATIO and exact),
        (f"(b) peak memory = {run['peak_mb']:.0f} MB (target < {TARGET_MEMORY_MB:.0f} MB)",
         run["peak_mb"] < TARGET_MEMORY_MB),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transitions", type=int, default=200)
    parser.add_argument("--partnerships", type=int, default=10_000)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--arg", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url, redis_url = _database_url(), _redis_url()
    if args.phase:
        result = {
            "latency": lambda: measure_latency(url, redis_url, args.transitions),
            "generate": lambda: generate(url, args.partnerships),
            "bulk": lambda: bulk_insert(url, int(args.arg)),
            "recompute": lambda: recompute_all(url),
        }[args.phase]()
        print(json.dumps(result))
        return 0

    problem = _postgresql_problem(url)
    if problem:
        print(f"Skipped: this benchmark needs PostgreSQL (a worker process shares the database and "
              f"arrivals are heard with LISTEN/NOTIFY). {problem.rstrip('.')}. Set BENCH_DATABASE_URL.")
        return 0
    print(f"Database: {url} (dropped and created again for each part)")
    verdicts = []
    redis_problem = _redis_problem(redis_url)
    if redis_problem:
        print(f"(a) skipped: a real worker needs Redis. {redis_problem.rstrip('.')}. "
              "Set BENCH_REDIS_URL.")
    else:
        _fresh_postgresql(url)
        latency = _child("latency", "--transitions", str(args.transitions))
        verdicts.append(_report_latency(latency, args.transitions))

    _fresh_postgresql(url)
    world = _child("generate", "--partnerships", str(args.partnerships))
    bulk = _child("bulk", "--arg", str(world["entries"]))
    run = _child("recompute")
    verdicts.extend(_report_all(world, bulk, run))
    for text, met in verdicts:
        print(f"  {'met   ' if met else 'MISSED'} {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
