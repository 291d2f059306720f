"""What a person polling a page saw around a fault (the JSON lines of probe.py watch).

    python bench/faults/summarise.py WATCH.jsonl FAULT_START FAULT_END

FAULT_START and FAULT_END are epoch seconds (date +%s.%N). Exit status 1 unless: every
answer before the fault was 200; every failed answer was the GOV.UK error page (never a
traceback, never a hang past the timeout); pages answered 200 again within 10 s of the fault's
end, and every answer from then on was 200 (recovery without restarting anything).
"""

import json
import sys
from pathlib import Path

RECOVERY_SECONDS = 10


def main(path: str, start: float, end: float) -> int:
    lines = [json.loads(line) for line in Path(path).read_text().splitlines() if line.startswith("{")]
    for x in lines:
        x["t"] = x["at"] - start  # seconds after the fault began
    end -= start
    start = 0.0
    before = [x for x in lines if x["t"] < start]
    during = [x for x in lines if start <= x["t"] < end]
    after = [x for x in lines if x["t"] >= end]
    failed = [x for x in lines if x["status"] != 200]
    recovered = next((x["t"] for x in after if x["status"] == 200), None)
    settled = [x for x in after if recovered is not None and x["t"] >= recovered]
    problems = []
    if any(x["status"] != 200 for x in before):
        problems.append("answers before the fault were not all 200")
    unclean = [x for x in failed if not x["govuk_error_page"] or x["traceback"]]
    if unclean:
        problems.append(f"{len(unclean)} failed answers were not the GOV.UK error page: "
                        f"{sorted({x['status'] for x in unclean})}")
    if recovered is None or recovered - end > RECOVERY_SECONDS:
        problems.append(f"pages did not answer 200 within {RECOVERY_SECONDS} s of the fault's end")
    if any(x["status"] != 200 for x in settled):
        problems.append("after recovery some answers still failed")
    statuses = {}
    for x in during:
        statuses[x["status"]] = statuses.get(x["status"], 0) + 1
    print(f"  before the fault: {len(before)} requests, all 200: {all(x['status'] == 200 for x in before)}")
    print(f"  during the fault ({end:.1f} s): {len(during)} requests, statuses {statuses}, "
          f"slowest {max((x['ms'] for x in during), default=0)} ms")
    print(f"  failed answers: {len(failed)}, each the GOV.UK 500 page: {not unclean}")
    if recovered is not None:
        print(f"  first 200 after the fault: {recovered - end:+.1f} s; after that: {len(settled)} "
              f"requests, all 200: {all(x['status'] == 200 for x in settled)}")
    for problem in problems:
        print(f"  FAIL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3])))
