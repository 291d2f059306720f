"""Reads for the partnership's pages and for the services: which assessments a user may see,
what still stops submission, the answers with their evidence, and the history."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Prefetch, QuerySet

from partnerships.selectors import partnership_scope_q

from .models import EvidenceFile, RequirementResponse, SelfAssessment, Status


def assessments_visible_to(user) -> QuerySet[SelfAssessment]:
    """Self-assessments of the partnerships the user may see."""
    return SelfAssessment.objects.filter(
        partnership_scope_q(user, prefix="partnership__")
    ).select_related("partnership__local_authority__region", "cycle")


@dataclass(frozen=True)
class Blocker:
    """Something that stops submission: `key` is a requirement code or 'concern-<id>'."""

    key: str
    message: str


def assessment_submission_blockers(
    assessment: SelfAssessment, *, responses=None, progress=None
) -> list[Blocker]:
    """What must still be done before the chair can submit: each requirement needs a rating
    and a case; each of last cycle's areas of concern needs a report on progress. A page that
    has loaded the responses (with requirements) and progress reports may pass them in."""
    if responses is None:
        responses = assessment.responses.select_related("requirement").order_by("requirement__order")
    if progress is None:
        progress = assessment.concern_progress.select_related("concern__requirement")
    blockers = []
    for r in responses:
        missing = [what for what, present in (("select a self-rating", r.self_rating),
                                              ("write your case", r.case.strip())) if not present]
        if missing:
            blockers.append(Blocker(
                r.requirement.code,
                f"{r.requirement.code} {r.requirement.title}: {' and '.join(missing)}",
            ))
    for p in progress:
        if not p.progress.strip():
            blockers.append(Blocker(
                f"concern-{p.pk}",
                f"Report your progress on the area of concern about "
                f"{p.concern.requirement.code} {p.concern.requirement.title}",
            ))
    return blockers



def responses_with_evidence(assessment: SelfAssessment) -> list[RequirementResponse]:
    """The assessment's answers in requirement order, each with its requirement, the answer it
    was carried forward from, and its evidence files (oldest first)."""
    return list(
        assessment.responses.select_related("requirement", "carried_forward_from__assessment__cycle")
        .prefetch_related(Prefetch("evidence_files", queryset=EvidenceFile.objects.order_by(
            "uploaded_at", "id")))
        .order_by("requirement__order")
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    who: str
    title: str
    detail: str
    changes: dict  # field -> [before, after], for edits
    decided_on: date | None = None  # a decision's own date; `at` is when it was recorded


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
            decided_on=event.decision.decided_on if event.decision else None,
        )
        for event in assessment.events.select_related("decision")
    ]
    entries += [
        TimelineEntry(
            at=change.at, who=str(change.by) if change.by else "system", title=change.summary,
            detail="", changes={k: v for k, v in change.changes.items() if not k.startswith("_")},
        )
        for change in assessment.changes.select_related("by")
    ]
    return sorted(entries, key=lambda e: e.at, reverse=True)
