"""Per page: requests, failures, median and 95th percentile, from locust's CSV statistics, and
the gunicorn worker's CPU milliseconds per request (median and p95) where the run collected them
(BENCH_CPU_HEADER=1: locustfile.py writes every request to LOAD_CPU). Then, from the same
record, the p95 of the run's first RAMP_SECONDS (the users still arriving, and each gunicorn
worker's first requests) apart from the rest, for the pages that missed the target: a secondary
figure, which says where a miss comes from; the target is the whole run's.

    python bench/load/report.py locust_stats.csv [locust_failures.csv [cpu.json]]

Exit status 1 if any request failed. A page whose p95 is 200 ms or more is reported as a
missed target (as bench/run.py treats targets), not as a failure.
"""

import csv
import json
import sys
from pathlib import Path

TARGET_MS = 200
RAMP_SECONDS = 10


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _p95(row: dict) -> float:
    return float(row["95%"]) if row["95%"] not in ("", "N/A") else 0.0


def _requests(record: dict[str, list[list]], name: str) -> list[list]:
    if name == "Aggregated":
        return [r for page in record.values() for r in page]
    return record.get(name, [])


def _cpu_columns(record: dict[str, list[list]], name: str) -> str:
    values = [cpu for _, _, cpu, _ in _requests(record, name) if cpu is not None]
    if not values:
        return f"{'-':>9}{'-':>9}"
    return f"{_percentile(values, 0.5):>9.1f}{_percentile(values, 0.95):>9.1f}"


def main(stats_path: str, failures_path: str | None = None, cpu_path: str | None = None) -> int:
    cpu = {}
    if cpu_path and Path(cpu_path).exists():
        cpu = json.loads(Path(cpu_path).read_text(encoding="utf-8"))
    with Path(stats_path).open(encoding="utf-8") as stats:
        rows = list(csv.DictReader(stats))
    pages = sorted((r for r in rows if r["Name"] != "Aggregated"), key=lambda r: r["Name"])
    total = next(r for r in rows if r["Name"] == "Aggregated")
    width = max(len(r["Name"]) for r in rows) + 2
    print(f"{'page':<{width}}{'method':>7}{'requests':>10}{'failures':>10}{'median ms':>11}{'p95 ms':>9}"
          + (f"{'cpu ms':>9}{'cpu p95':>9}" if cpu else ""))
    slow = []
    for r in [*pages, total]:
        p95 = _p95(r)
        mark = "  > target" if p95 >= TARGET_MS else ""
        if p95 >= TARGET_MS and r is not total:
            slow.append(r["Name"])
        print(f"{r['Name']:<{width}}{r['Type']:>7}{r['Request Count']:>10}{r['Failure Count']:>10}"
              f"{float(r['Median Response Time']):>11.0f}{p95:>9.0f}"
              f"{_cpu_columns(cpu, r['Name']) if cpu else ''}{mark}")
    failed = int(total["Failure Count"])
    if failures_path and Path(failures_path).exists():
        with Path(failures_path).open(encoding="utf-8") as failures:
            for f in csv.DictReader(failures):
                print(f"  failure x{f['Occurrences']}: {f['Method']} {f['Name']}: {f['Error'][:300]}")
        # An exception in a simulated user's task (e.g. a page without the form it needs)
        # stops that task short of its writes: a failure of the run, not just a lost request.
        exceptions = Path(failures_path).with_name("locust_exceptions.csv")
        if exceptions.exists():
            with exceptions.open(encoding="utf-8") as raised:
                for e in csv.DictReader(raised):
                    failed += int(e["Count"])
                    print(f"  exception x{e['Count']} in a user's task: {e['Message'][:300]}")
    print(f"requests {total['Request Count']}, failures {failed}, "
          f"median {float(total['Median Response Time']):.0f} ms, p95 {float(total['95%']):.0f} ms; "
          f"pages with p95 >= {TARGET_MS} ms: {', '.join(slow) or 'none'}")
    slowest = max(pages, key=lambda r: _p95(r))
    verdict = "MISSED" if slow else "met   "
    print(f"  {verdict} every page's p95 under {TARGET_MS} ms (slowest: {slowest['Name']}, "
          f"{_p95(slowest):.0f} ms)")
    if slow:
        print(f"MISSED TARGET: p95 under {TARGET_MS} ms")
        _ramp_apart(cpu, slow)
    return 1 if failed else 0


def _ramp_apart(record: dict[str, list[list]], pages: list[str]) -> None:
    for name in [p for p in pages if record.get(p)]:
        parts = []
        for label, keep in ((f"first {RAMP_SECONDS} s", lambda t: t < RAMP_SECONDS),
                            ("after", lambda t: t >= RAMP_SECONDS)):
            kept = [r for r in record[name] if keep(r[0])]
            times = [ms for _, ms, _, _ in kept]
            in_django = [app for _, _, _, app in kept if app is not None]
            parts.append(f"{label}: {len(times)} requests, p95 "
                         + (f"{_percentile(times, 0.95):.0f} ms" if times else "-")
                         + (f" ({_percentile(in_django, 0.95):.0f} in Django)" if in_django else ""))
        print(f"  {name}: {'; '.join(parts)}")


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
