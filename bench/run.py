"""Run every benchmark under bench/ (`bench_*.py`) in turn, each in its own process.

    python bench/run.py                 # all of them
    python bench/run.py dashboard       # only bench_dashboard.py

Each script prints its own figures; this runner prints a heading per script and exits non-zero
if any script failed (a missed target is reported by the script, not treated as a failure).
"""

import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


def main(selected: list[str]) -> int:
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if selected:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in selected]
    if not scripts:
        print("No benchmarks found" + (f" matching {', '.join(selected)}" if selected else ""))
        return 1
    failed = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=ROOT, check=False)
        print(f"--- {script.name}: {'ok' if result.returncode == 0 else 'FAILED'} "
              f"in {time.perf_counter() - started:.0f} s", flush=True)
        if result.returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"\nFailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
