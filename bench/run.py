"""Run every benchmark under bench/ (`bench_*.py`, then the load and fault scenarios) in turn,
each in its own process.

    python bench/run.py                 # all of them
    python bench/run.py dashboard       # only bench_dashboard.py
    python bench/run.py load faults     # the load test and the fault scenarios (bench/*/run.sh)

Each script prints its own figures; this runner prints a heading per script and exits non-zero
if any script failed (a missed target is reported by the script, not treated as a failure).
"""

import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


# Scenarios with servers of their own (PostgreSQL, gunicorn, Celery, Redis): shell scripts.
SCENARIOS = {"load": BENCH_DIR / "load" / "run.sh", "faults": BENCH_DIR / "faults" / "run.sh"}


def main(selected: list[str]) -> int:
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if selected:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in selected]
    runs = [(s.name, [sys.executable, str(s)]) for s in scripts] + [
        (f"{name}/run.sh", ["bash", str(path)]) for name, path in SCENARIOS.items()
        if path.exists() and (not selected or name in selected)]
    if not runs:
        print("No benchmarks found" + (f" matching {', '.join(selected)}" if selected else ""))
        return 1
    failed = []
    for label, command in runs:
        print(f"\n=== {label} ===", flush=True)
        started = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, check=False)
        print(f"--- {label}: {'ok' if result.returncode == 0 else 'FAILED'} "
              f"in {time.perf_counter() - started:.0f} s", flush=True)
        if result.returncode != 0:
            failed.append(label)
    if failed:
        print(f"\nFailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
