from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from partnerships.selectors import partnership_scope_q

from .models import SelfAssessment, Status


def assessments_visible_to(user) -> QuerySet[SelfAssessment]:
    """Self-assessments of the partnerships the user may see."""
    return SelfAssessment.objects.filter(
        partnership_scope_q(user, prefix="partnership__")
    ).select_related("partnership__local_authority__region", "cycle")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    who: str
    title: str
    detail: str
    changes: dict  # field -> [before, after], for edits


_TRANSITION_TITLES = {
    Status.SUBMITTED: "Signed off by the chair and submitted",
    Status.UNDER_REVIEW: "Review started by the Government Office",
    Status.DRAFT: "Returned for changes",
    Status.ACCREDITED: "Accredited",
    Status.DEFERRED: "Accreditation deferred",
}


def assessment_timeline(assessment: SelfAssessment) -> list[TimelineEntry]:
    """Every edit and transition of the assessment, newest first: who, when, what changed."""
    entries = [
        TimelineEntry(
            at=event.at, who=event.actor_label or "system",
            title=_TRANSITION_TITLES.get(event.to_status, event.get_to_status_display()),
            detail=event.reason, changes={},
        )
        for event in assessment.events.all()
    ]
    entries += [
        TimelineEntry(
            at=change.at, who=str(change.by) if change.by else "system", title=change.summary,
            detail="", changes={k: v for k, v in change.changes.items() if not k.startswith("_")},
        )
        for change in assessment.changes.select_related("by")
    ]
    return sorted(entries, key=lambda e: e.at, reverse=True)
