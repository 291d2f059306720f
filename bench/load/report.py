"""Per page: requests, failures, median and 95th percentile, from locust's CSV statistics.

    python bench/load/report.py locust_stats.csv [locust_failures.csv]

Exit status 1 if any request failed. A page whose p95 is 500 ms or more is reported as a
missed target (as bench/run.py treats targets), not as a failure.
"""

import csv
import sys
from pathlib import Path

TARGET_MS = 500


def main(stats_path: str, failures_path: str | None = None) -> int:
    with Path(stats_path).open(encoding="utf-8") as stats:
        rows = list(csv.DictReader(stats))
    pages = sorted((r for r in rows if r["Name"] != "Aggregated"), key=lambda r: r["Name"])
    total = next(r for r in rows if r["Name"] == "Aggregated")
    width = max(len(r["Name"]) for r in rows) + 2
    print(f"{'page':<{width}}{'method':>7}{'requests':>10}{'failures':>10}{'median ms':>11}{'p95 ms':>9}")
    slow = []
    for r in [*pages, total]:
        p95 = float(r["95%"]) if r["95%"] not in ("", "N/A") else 0.0
        mark = "  > target" if p95 >= TARGET_MS else ""
        if p95 >= TARGET_MS and r is not total:
            slow.append(r["Name"])
        print(f"{r['Name']:<{width}}{r['Type']:>7}{r['Request Count']:>10}{r['Failure Count']:>10}"
              f"{float(r['Median Response Time']):>11.0f}{p95:>9.0f}{mark}")
    failed = int(total["Failure Count"])
    if failures_path and Path(failures_path).exists():
        with Path(failures_path).open(encoding="utf-8") as failures:
            for f in csv.DictReader(failures):
                print(f"  failure x{f['Occurrences']}: {f['Method']} {f['Name']}: {f['Error'][:300]}")
    print(f"requests {total['Request Count']}, failures {failed}, "
          f"median {float(total['Median Response Time']):.0f} ms, p95 {float(total['95%']):.0f} ms; "
          f"pages with p95 >= {TARGET_MS} ms: {', '.join(slow) or 'none'}")
    if slow:
        print(f"MISSED TARGET: p95 under {TARGET_MS} ms")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
