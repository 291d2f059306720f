"""The database side of the fault scenarios (run with the portal's settings and environment).

    python bench/faults/check.py owed                  recomputes still owed (count)
    python bench/faults/check.py submit                a draft's chair submits it: prints the
                                                       assessment pk and the region's reviewer
    python bench/faults/check.py decided PK            the assessment's status, and whether the
                                                       recompute its decision owes is applied
    python bench/faults/check.py requeue               what beat does every minute (owed older
                                                       than 0 s here), through the real broker
    python bench/faults/check.py request SLUG          a recompute of one partnership is owed;
                                                       sent to the worker on commit; prints its id
    python bench/faults/check.py lock SLUG SECONDS     hold the partnership's allocation rows
                                                       FOR UPDATE (the recompute waits on them)
    python bench/faults/check.py waiting               database sessions waiting on a lock
    python bench/faults/check.py attempts ID           the request's attempts and completion
    python bench/faults/check.py reconcile             partnerships drifting from the rule
"""

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lsp_portal.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from accreditation.models import SelfAssessment, Status  # noqa: E402
from accreditation.selectors import assessment_submission_blockers  # noqa: E402
from accreditation.services.drafting import assessment_submit  # noqa: E402
from core.models import User  # noqa: E402
from funding.ledger import releases_reconcile  # noqa: E402
from funding.models import RecomputeRequest  # noqa: E402
from funding.outbox import recompute_request  # noqa: E402
from funding.tasks import recomputes_requeue_owed  # noqa: E402
from partnerships.models import Partnership  # noqa: E402


def owed() -> int:
    return RecomputeRequest.objects.filter(completed_at__isnull=True).count()


def main(command: str, *args: str) -> None:
    if command == "owed":
        print(owed())
    elif command == "submit":
        for draft in (SelfAssessment.objects.filter(status=Status.DRAFT, cycle__year_start=2003)
                      .select_related("partnership__local_authority__region").order_by("pk")):
            if assessment_submission_blockers(draft):
                continue
            chair = User.objects.get(email=f"chair@{draft.partnership.slug}.lsp.example")
            assessment_submit(assessment=draft, by=chair)
            region = draft.partnership.local_authority.region
            print(json.dumps({"assessment": draft.pk, "partnership": draft.partnership.slug,
                              "reviewer": f"reviewer@{region.slug}.go.example"}))
            return
        raise SystemExit("no draft ready to submit")
    elif command == "decided":
        assessment = SelfAssessment.objects.get(pk=int(args[0]))
        requests = RecomputeRequest.objects.filter(
            partnership=assessment.partnership, requested_at__gte=assessment.review_started_at)
        print(json.dumps({"status": assessment.status,
                          "recomputes": requests.count(),
                          "owed": requests.filter(completed_at__isnull=True).count(),
                          "never_sent": requests.filter(last_enqueued_at__isnull=True).count()}))
    elif command == "requeue":
        print(recomputes_requeue_owed(older_than_seconds=0))
    elif command == "request":
        with transaction.atomic():
            request = recompute_request(partnership=Partnership.objects.get(slug=args[0]),
                                        cause=RecomputeRequest.Cause.MANUAL)
        print(request.pk)
    elif command == "lock":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT id FROM funding_allocation WHERE partnership_id = "
                               "(SELECT id FROM partnerships_partnership WHERE slug = %s) FOR UPDATE",
                               [args[0]])
            print("locked", flush=True)
            time.sleep(float(args[1]))
    elif command == "waiting":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock'")
            print(cursor.fetchone()[0])
    elif command == "attempts":
        request = RecomputeRequest.objects.get(pk=int(args[0]))
        print(json.dumps({"attempts": request.attempts, "completed": bool(request.completed_at)}))
    elif command == "reconcile":
        run = releases_reconcile(requested_by="bench/faults")
        print(json.dumps({"allocations": run.allocations_checked, "drifting": run.drift_count}))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(*sys.argv[1:])
