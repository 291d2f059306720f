"""Work for the load test, on top of the demo: 2003/04 self-assessments for every partnership.

Run by bench/load/run.sh after `load_demo --force`, against the load test's own database. The
demo leaves every partnership's 2002/03 assessment decided, so the load needs fresh work:

- the officers' share: a 2003/04 draft started by the partnership's officer from its 2002/03
  answers, with any progress on last year's areas of concern and the note on missing sectors
  written, so the chair can submit it once the officer has saved the answers again;
- the reviewers' share: four partnerships per region whose 2003/04 assessment the chair has
  already submitted, waiting for the region's reviewer.

Everything goes through the services, as the users' clicks would. The plan (who signs in as
whom, which assessment, each answer's version) is written as JSON for the locust file and for
verify.py.

    python bench/load/prepare.py PLAN.json
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lsp_portal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from accreditation.models import Cycle, SelfAssessment  # noqa: E402
from accreditation.selectors import assessment_submission_blockers  # noqa: E402
from accreditation.services.drafting import (  # noqa: E402
    assessment_start,
    assessment_submit,
    concern_progress_save,
    concern_progress_token,
    response_save,
)
from core.models import User  # noqa: E402
from partnerships.models import Partnership, Region  # noqa: E402
from partnerships.selectors import members_missing_key_sectors  # noqa: E402

PER_REGION_FOR_REVIEW = 4
# Answers the officers change during the load (R2 also asks about missing sectors: left alone).
CODES = ["R1", "R3", "R4", "R5", "R6"]


def _user(email: str) -> User:
    return User.objects.get(email=email)


def _ready(assessment: SelfAssessment, officer: User) -> SelfAssessment:
    """Report progress on each area of concern and explain missing sectors, as officers do."""
    for progress in assessment.concern_progress.all():
        concern_progress_save(
            progress=progress, by=officer, text="We have acted on this: see our case.",
            expected_token=concern_progress_token(progress))
    if members_missing_key_sectors(assessment.partnership):
        r2 = assessment.responses.get(requirement__code="R2")
        response_save(response=r2, by=officer, self_rating=r2.self_rating, case=r2.case,
                      expected_version=r2.version,
                      inclusiveness_note="We are recruiting from the missing sectors.")
    return SelfAssessment.objects.get(pk=assessment.pk)


def prepare() -> dict:
    cycle = Cycle.objects.get(year_start=2003)
    plan = {"password": settings.DEMO_PASSWORD, "officers": [], "reviewers": [],
            "analyst": "analyst@nru.example"}
    for region in Region.objects.order_by("name"):
        partnerships = list(Partnership.objects.filter(local_authority__region=region)
                            .order_by("name"))
        reviewer = f"reviewer@{region.slug}.go.example"
        queued = []
        for n, partnership in enumerate(partnerships):
            officer = _user(f"officer@{partnership.slug}.lsp.example")
            chair = _user(f"chair@{partnership.slug}.lsp.example")
            assessment = assessment_start(partnership=partnership, cycle=cycle, by=officer)
            assessment = _ready(assessment, officer)
            if assessment_submission_blockers(assessment):
                continue
            if n < PER_REGION_FOR_REVIEW:
                assessment_submit(assessment=assessment, by=chair)
                queued.append(assessment.pk)
            else:
                plan["officers"].append({
                    "partnership": partnership.slug, "assessment": assessment.pk,
                    "officer": officer.email, "chair": chair.email,
                    "versions": {r.requirement.code: r.version
                                 for r in assessment.responses.select_related("requirement")},
                    "codes": CODES,
                })
        plan["reviewers"].append({"region": region.slug, "email": reviewer, "assessments": queued})
    # verify.py counts what happened after this moment as the load's doing.
    plan["prepared_at"] = timezone.now().isoformat()
    return plan


if __name__ == "__main__":
    result = prepare()
    Path(sys.argv[1]).write_text(json.dumps(result, indent=1))
    print(f"prepared {len(result['officers'])} drafts for officers and "
          f"{sum(len(r['assessments']) for r in result['reviewers'])} submitted assessments "
          f"for {len(result['reviewers'])} reviewers")
