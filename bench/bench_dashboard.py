"""NRU dashboard server time at 88 and at 10,000 partnerships, beside a minimal Django view.

    python bench/bench_dashboard.py                 # both sizes, SQLite files under var/bench/
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/lsp_bench python bench/bench_dashboard.py
    python bench/bench_dashboard.py --sizes 88 --requests 30

Each size runs in its own process against its own fresh database (a SQLite file, or a
PostgreSQL database named after BENCH_DATABASE_URL with the size appended, dropped and created
again), filled by the generator in tests/reporting/dashboard_world.py: the partnerships in nine
regions with NRF 2001/02 to 2003/04, a 2002/03 decision each and a ledger that agrees with the
rule. Statistics are refreshed (ANALYZE) as autovacuum would after a bulk load.

In each process an analyst signs in with Django's test client and the dashboard and a minimal
view (signed-in, same middleware, a one-line response) are requested alternately; the time of
each request, as the server handles it, gives the median and the 95th percentile.

The dashboard as at a past date (`?as_at=`, the generated decisions taking effect over a
fortnight, about half of them by that date; the ledger's effective-date index is part of the
database, as migrated) is measured beside today's, cached and just after a change.

Targets: at 10,000 the dashboard takes at most 2x its time at 88; at 88 at most 10x
the minimal view; as at a past date at 10,000 at most 2x today's dashboard at 10,000. On
PostgreSQL the regional aggregates are cached per process until the figures change (ADR 0011),
so the dashboard is also measured just after a committed change ("after a change": every
request recomputes them), which is what the first reader after each decision or recompute waits
for. SQLite has no cache: there both columns measure the same thing.

Since ADR 0024 the worker computes the dashboard's costliest figures right after each committed
change to the ledger or to a funding state, before any reader asks (`reporting.figures_warm`).
"Warmed" times the first reader after a change once that warm-up has run (here in this process,
timed on its own as "warm-up": the time after a commit during which a reader still computes);
"after a change" stays the reader who comes first, or after a change nobody announced. Target:
warmed at 10,000 at most 2x warmed at 88, also printed against the time after a change at 88.

The warm-up writes the XLSX export the dashboard's "Download XLSX" link asks for with nothing
chosen as well, after the dashboard's figures ("warm-up" includes it). "XLSX after a change" is
that export's first reader in a process before the warm-up (the workbook written in the
request), "XLSX warmed" the same after it (the stored workbook read); target: the warmed XLSX
takes no longer than the warmed dashboard, at each size (neither export blocks a gunicorn worker
for longer than the dashboard does).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from fresh_database import fresh_postgresql as _fresh_postgresql

ROOT = Path(__file__).resolve().parent.parent
SIZES = (88, 10_000)
TARGET_SCALING = 2.0
TARGET_OVERHEAD = 10.0
TARGET_AS_AT = 2.0


def _database_url(size: int) -> str:
    base = os.environ.get("BENCH_DATABASE_URL")
    if base:
        return f"{base.rstrip('/')}_{size}"
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"dashboard-{size}.sqlite3"
    path.unlink(missing_ok=True)
    return f"sqlite:///{path}"


# --- One size, in its own process ---------------------------------------------------------------


def minimal(request):
    from django.http import HttpResponse

    return HttpResponse("ok", content_type="text/plain")


urlpatterns: list = []  # filled in measure(): the project's URLs and the minimal view


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(size: int, requests: int) -> dict:
    url = _database_url(size)
    if url.startswith("postgres"):
        _fresh_postgresql(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lsp_portal.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.decorators import login_required
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import clear_url_caches, include, path

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = False
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    urlpatterns[:] = [path("bench/minimal/", login_required(minimal)),
                      path("", include("lsp_portal.urls"))]
    settings.ROOT_URLCONF = __name__
    clear_url_caches()

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    from tests.factories import RoleAssignmentFactory
    from tests.reporting.dashboard_world import AS_AT_DAY, generate_national

    world = generate_national(size)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    analyst = RoleAssignmentFactory(analyst=True).user
    setup_seconds = time.perf_counter() - started

    client = Client()
    client.force_login(analyst)
    targets = {"dashboard": "/nru/", "minimal": "/bench/minimal/",
               "asat": f"/nru/?as_at={AS_AT_DAY.isoformat()}", "xlsx": "/nru/export.xlsx"}
    for target in targets.values():  # warm up: templates compiled, connections open
        for _ in range(3):
            assert client.get(target).status_code == 200
    from reporting import dashboard

    scope = dashboard.dashboard_scope(fund=world["nrf"], year=world["year"])
    headline = dashboard.dashboard_headline(scope, regions=dashboard.dashboard_regions(scope),
                                            filters=dashboard.TableFilters())
    assert headline.partnerships == size, headline
    assert headline.anticipated_pence == world["expected"]["anticipated"]
    from dataclasses import replace

    past = replace(scope, as_at=AS_AT_DAY)
    as_at = dashboard.dashboard_headline(past, regions=dashboard.dashboard_regions(past),
                                         filters=dashboard.TableFilters())
    assert (as_at.released_pence, as_at.accredited) == (
        world["expected_as_at"]["released"], world["expected_as_at"]["accredited"]), as_at
    # "changed": the dashboard just after a committed change to the figures, so the regional
    # aggregates are computed afresh rather than read from the figures cache (ADR 0011).
    # "warmed": the same change, then the worker's warm-up before the reader asks (ADR 0024).
    from reporting.figures_warm import figures_warm

    # The requests that follow a change come first in each round; then today's and the past
    # date's pages are read once, untimed, so that the cached requests are timed on figures
    # cached for the version they read (timed straight after a change they would be the first
    # reader, measured above).
    xlsx = targets.pop("xlsx")
    cached = dict(targets)
    changing = {"changed": targets["dashboard"], "warmed": targets["dashboard"],
                "asat_changed": targets["asat"], "xlsx_changed": xlsx, "xlsx_warmed": xlsx}
    times: dict[str, list[float]] = {name: [] for name in [*cached, *changing, "warmup"]}
    xlsx_bytes = 0
    for _ in range(requests):
        for name, target in [*changing.items(), ("prime", None), *cached.items()]:
            if name == "prime":
                for page in (targets["dashboard"], targets["asat"]):
                    assert client.get(page).status_code == 200
                continue
            if name.endswith(("changed", "warmed")):
                with connection.cursor() as cursor:  # committed at once: moves the version
                    cursor.execute("UPDATE partnerships_region SET name = name "
                                   "WHERE id = (SELECT min(id) FROM partnerships_region)")
            if name.endswith("warmed") and connection.vendor == "postgresql":
                t = time.perf_counter()
                assert figures_warm() is not None  # computed and stored for the new version
                times["warmup"].append(time.perf_counter() - t)
            t = time.perf_counter()
            response = client.get(target)
            times[name].append(time.perf_counter() - t)
            assert response.status_code == 200
            if name == "xlsx_warmed":
                xlsx_bytes = len(response.content)
    return {
        "size": size,
        "database": connection.vendor,
        "setup_seconds": setup_seconds,
        "xlsx_bytes": xlsx_bytes,
        **{f"{name}_median": statistics.median(values) for name, values in times.items()
           if values},
        **{f"{name}_p95": _percentile(values, 0.95) for name, values in times.items() if values},
    }


# --- The comparison -----------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)  # one size, in a child
    args = parser.parse_args()
    if args.size:
        print(json.dumps(measure(args.size, args.requests)))
        return 0

    results = {}
    for size in args.sizes:
        child = subprocess.run(
            [sys.executable, __file__, "--size", str(size), "--requests", str(args.requests)],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )
        if child.returncode != 0:
            print(child.stdout[-2000:], child.stderr[-4000:], sep="\n")
            return 1
        results[size] = json.loads(child.stdout.strip().splitlines()[-1])
    vendor = next(iter(results.values()))["database"]
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"NRU dashboard, {args.requests} requests each, database: {vendor}, "
          f"load average {load} ({os.cpu_count()} CPUs)")
    print(f"{'partnerships':>12}  {'dashboard median':>17}  {'p95':>10}  {'minimal median':>15}  "
          f"{'p95':>10}  {'dashboard / minimal':>19}  {'after a change':>15}  {'p95':>10}  "
          f"{'warmed':>10}  {'p95':>10}  {'warm-up':>10}  {'p95':>10}")
    for size, r in results.items():
        warmed = (f"  {_ms(r['warmed_median']):>10}  {_ms(r['warmed_p95']):>10}"
                  f"  {_ms(r['warmup_median']):>10}  {_ms(r['warmup_p95']):>10}"
                  if "warmup_median" in r else "")
        print(f"{size:>12,}  {_ms(r['dashboard_median']):>17}  {_ms(r['dashboard_p95']):>10}  "
              f"{_ms(r['minimal_median']):>15}  {_ms(r['minimal_p95']):>10}  "
              f"{r['dashboard_median'] / r['minimal_median']:>18.1f}x  "
              f"{_ms(r['changed_median']):>15}  {_ms(r['changed_p95']):>10}{warmed}")
    print(f"As at a past date: {'partnerships':>12}  {'median':>10}  {'p95':>10}  "
          f"{'after a change':>15}  {'p95':>10}")
    for size, r in results.items():
        print(f"                   {size:>12,}  {_ms(r['asat_median']):>10}  "
              f"{_ms(r['asat_p95']):>10}  {_ms(r['asat_changed_median']):>15}  "
              f"{_ms(r['asat_changed_p95']):>10}")
    print(f"XLSX export: {'partnerships':>12}  {'size':>10}  {'after a change':>15}  {'p95':>10}  "
          f"{'warmed':>10}  {'p95':>10}")
    for size, r in results.items():
        print(f"             {size:>12,}  {r['xlsx_bytes'] / 1e6:>7.2f} MB  "
              f"{_ms(r['xlsx_changed_median']):>15}  {_ms(r['xlsx_changed_p95']):>10}  "
              f"{_ms(r['xlsx_warmed_median']):>10}  {_ms(r['xlsx_warmed_p95']):>10}")
    verdicts = []
    if next(iter(results.values()))["database"] == "postgresql":  # SQLite warms nothing
        for size, r in results.items():
            xlsx = r["xlsx_warmed_median"] / r["warmed_median"]
            verdicts.append((f"at {size:,}, the first XLSX after a change, warmed / the dashboard "
                             f"warmed = {xlsx:.2f}x median, "
                             f"{r['xlsx_warmed_p95'] / r['warmed_p95']:.2f}x p95 (target <= 1x)",
                             xlsx <= 1))
    if 88 in results:
        overhead = results[88]["dashboard_median"] / results[88]["minimal_median"]
        verdicts.append((f"at 88, dashboard / minimal view = {overhead:.1f}x "
                         f"(target <= {TARGET_OVERHEAD:.0f}x)", overhead <= TARGET_OVERHEAD))
    if 88 in results and 10_000 in results:
        small, large = results[88], results[10_000]
        scaling = large["dashboard_median"] / small["dashboard_median"]
        scaling_p95 = large["dashboard_p95"] / small["dashboard_p95"]
        verdicts.append((f"dashboard at 10,000 / at 88 = {scaling:.2f}x median, "
                         f"{scaling_p95:.2f}x p95 (target <= {TARGET_SCALING:.0f}x)",
                         scaling <= TARGET_SCALING))
        if "warmed_median" in large:
            warmed = large["warmed_median"] / small["warmed_median"]
            verdicts.append((
                f"just after a change, warmed, at 10,000 / at 88 = {warmed:.2f}x median, "
                f"{large['warmed_p95'] / small['warmed_p95']:.2f}x p95; against the unwarmed "
                "page after a change at 88: "
                f"{large['warmed_median'] / small['changed_median']:.2f}x "
                f"(target <= {TARGET_SCALING:.0f}x)", warmed <= TARGET_SCALING))
        if "warmed_median" in large:
            # Both sizes run one after the other on a shared machine: the ratio of two pages
            # measured in the same process does not move with the machine's load between them.
            print("  (for information: warmed / cached dashboard in the same process = "
                  + ", ".join(f"{r['warmed_median'] / r['dashboard_median']:.2f}x at {size:,}"
                              for size, r in results.items())
                  + "; unwarmed after a change / cached = "
                  + ", ".join(f"{r['changed_median'] / r['dashboard_median']:.2f}x at {size:,}"
                              for size, r in results.items()) + ")")
        cold = large["changed_median"] / small["changed_median"]
        print(f"  (for information: the first reader before the warm-up, or after a change "
              f"nobody announced, at 10,000 / at 88 = {cold:.2f}x median)")
    if 10_000 in results:
        r = results[10_000]
        cached = r["asat_median"] / r["dashboard_median"]
        changed = r["asat_changed_median"] / r["changed_median"]
        verdicts.append((f"at 10,000, as at a past date / today = {cached:.2f}x median, "
                         f"{changed:.2f}x just after a change (target <= {TARGET_AS_AT:.0f}x)",
                         max(cached, changed) <= TARGET_AS_AT))
    for text, met in verdicts:
        print(f"  {'met   ' if met else 'MISSED'} {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
