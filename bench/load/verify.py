"""After the load: is every write the portal confirmed in the database, and did every owed
funding recompute get applied by the Celery worker?

    python bench/load/verify.py PLAN.json RESULTS.json [seconds to wait for the worker]
    python bench/load/verify.py --drain SECONDS     (wait until no recompute is owed)

Checks, each printed with its figures (exit status 1 if any fails):
- every submission confirmed to a chair is a submitted (or later) assessment with its event,
  and the database holds no submission locust did not see;
- every accreditation confirmed to a reviewer is an accredited assessment with its decision;
- every answer's version went up by exactly the number of saves confirmed for it (autosave
  and the form), so no save was lost or applied twice;
- no recompute is still owed once the worker has had time, and the ledger agrees with the
  release rule everywhere (a reconcile run finds no drift).

With VERIFY_MODE=fault (bench/faults) a write the database holds but the user was not told of
(the commit happened, then the answer failed) is reported, not failed: only lost writes fail.
"""

import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lsp_portal.settings")

import django  # noqa: E402

django.setup()

from accreditation.models import (  # noqa: E402
    AccreditationEvent,
    Decision,
    RequirementResponse,
    SelfAssessment,
    Status,
)
from funding.ledger import releases_reconcile  # noqa: E402
from funding.models import RecomputeRequest  # noqa: E402


def owed_after_waiting(seconds: float) -> tuple[int, float]:
    """Recomputes still owed once the worker has had up to `seconds`; and the time waited."""
    started = time.monotonic()
    owed = RecomputeRequest.objects.filter(completed_at__isnull=True).count()
    while owed and time.monotonic() - started < seconds:
        time.sleep(1)
        owed = RecomputeRequest.objects.filter(completed_at__isnull=True).count()
    return owed, time.monotonic() - started


def drain(seconds: float) -> int:
    before = RecomputeRequest.objects.filter(completed_at__isnull=True).count()
    owed, waited = owed_after_waiting(seconds)
    print(f"-- the worker applied {before - owed} owed recomputes in {waited:.0f} s; {owed} still owed")
    return 1 if owed else 0


def main(plan_path: str, results_path: str, wait_seconds: int = 180) -> int:
    plan = json.loads(Path(plan_path).read_text())
    results = json.loads(Path(results_path).read_text())
    since = datetime.fromisoformat(plan["prepared_at"])
    failures = []
    fault_mode = os.environ.get("VERIFY_MODE") == "fault"

    def check(ok: bool, line: str, *, strict: bool = True):
        label = "ok" if ok else ("FAIL" if strict else "note")
        print(f"  [{label}] {line}")
        if not ok and strict:
            failures.append(line)

    submitted = set(results["submitted"])
    in_db = set(SelfAssessment.objects.filter(pk__in=submitted).exclude(status=Status.DRAFT)
                .filter(events__to_status=Status.SUBMITTED, events__at__gte=since)
                .values_list("pk", flat=True))
    all_submitted = set(AccreditationEvent.objects.filter(to_status=Status.SUBMITTED, at__gte=since)
                        .values_list("assessment_id", flat=True))
    check(in_db == submitted,
          f"submissions confirmed to chairs: {len(submitted)}; in the database: {len(in_db)}")
    check(all_submitted == submitted,
          f"submissions in the database during the run: {len(all_submitted)} (none unseen by locust)",
          strict=not fault_mode)

    decided = set(results["decided"])
    accredited = set(SelfAssessment.objects.filter(pk__in=decided, status=Status.ACCREDITED)
                     .values_list("pk", flat=True))
    decisions = set(Decision.objects.filter(decided_at__gte=since)
                    .values_list("assessment_id", flat=True))
    check(accredited == decided,
          f"accreditations confirmed to reviewers: {len(decided)}; accredited in the database: "
          f"{len(accredited)}")
    check(decisions == decided, f"decisions recorded during the run: {len(decisions)}",
          strict=not fault_mode)

    by_officer = {o["assessment"]: o["versions"] for o in plan["officers"]}
    lost = []
    saves = 0
    for key, count in results["saves"].items():
        pk, code = key.split(":")
        saves += count
        version = RequirementResponse.objects.get(assessment_id=int(pk),
                                                  requirement__code=code).version
        expected = by_officer[int(pk)][code] + count
        if version < expected or (version != expected and not fault_mode):
            lost.append(f"{key}: version {version}, expected {expected}")
    check(not lost, f"answer saves confirmed: {saves}, on {len(results['saves'])} answers; "
                    f"versions that disagree: {len(lost)} {lost[:5]}")

    # A run in which a kind of write never happened proves nothing about it (a page that lost
    # its form stops the simulated user before the write): outside fault scenarios, each of the
    # three kinds must have been confirmed at least once.
    if not fault_mode:
        check(bool(submitted) and bool(decided) and saves > 0,
              f"every kind of write happened: {len(submitted)} submissions, {len(decided)} "
              f"accreditations, {saves} answer saves")

    owed, waited = owed_after_waiting(wait_seconds)
    made = RecomputeRequest.objects.filter(requested_at__gte=since)
    check(owed == 0, f"recomputes requested during the run: {made.count()}; applied: "
                     f"{made.filter(completed_at__isnull=False).count()}; still owed (any) after "
                     f"{waited:.0f} s: {owed}")
    run = releases_reconcile(requested_by="bench/load/verify.py")
    check(run.drift_count == 0, f"reconcile: {run.allocations_checked} allocations checked, "
                                f"{run.drift_count} partnerships drifting from the rule")
    print(f"  lost writes: {len(submitted - in_db) + len(decided - accredited) + len(lost)}")
    if fault_mode:
        print(f"  committed but not confirmed (the answer failed after the commit): "
              f"{len(all_submitted - submitted)} submissions, {len(decisions - decided)} decisions")
    return 1 if failures else 0


if __name__ == "__main__":
    if sys.argv[1] == "--drain":
        sys.exit(drain(float(sys.argv[2])))
    sys.exit(main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:4])))
