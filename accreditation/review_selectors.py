"""Reads for the Government Office reviewer's pages: the region's queue, what may be reviewed,
and what may be accredited in bulk."""

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from core import clock
from partnerships.models import Partnership, Role

from .models import Cycle, GoRating, SelfAssessment, Status

NOT_STARTED = "not_started"
REVIEW_DUE = "review_due"

# Queue filter statuses, in the order the counts are shown.
QUEUE_STATUSES = [
    (REVIEW_DUE, "Review due"),
    (Status.SUBMITTED.value, "Submitted"),
    (Status.UNDER_REVIEW.value, "Under review"),
    (Status.DEFERRED.value, "Deferred"),
    (Status.ACCREDITED.value, "Accredited"),
    (Status.DRAFT.value, "Draft"),
    (NOT_STARTED, "Not started"),
]
# The order rows are worked in: reviews due first, then what waits longest for a decision.
_RANK = {REVIEW_DUE: 0, Status.SUBMITTED: 1, Status.UNDER_REVIEW: 2, Status.DEFERRED: 3,
         Status.DRAFT: 4, NOT_STARTED: 5, Status.ACCREDITED: 6}


def reviewer_region_ids(user) -> set[int]:
    if not user.is_authenticated:
        return set()
    from partnerships.selectors import _assignments

    return {a.region_id for a in _assignments(user) if a.role == Role.GO_REVIEWER and a.region_id}


def assessments_reviewable_by(user) -> QuerySet[SelfAssessment]:
    """Assessments of the partnerships in the regions the user reviews for (none for anyone else)."""
    return SelfAssessment.objects.filter(
        partnership__local_authority__region_id__in=reviewer_region_ids(user)
    ).select_related("partnership__local_authority__region", "cycle", "reviewer")


BULK_ACCREDITABLE_RATINGS = frozenset({GoRating.AGREE, GoRating.GREEN})


def assessment_bulk_accreditable(assessment: SelfAssessment) -> bool:
    """Under review, and every requirement rated by the Government Office green or agreed."""
    ratings = [r.go_rating for r in assessment.responses.all()]
    return (
        assessment.status == Status.UNDER_REVIEW
        and bool(ratings)
        and all(r in BULK_ACCREDITABLE_RATINGS for r in ratings)
    )



def cycle_default(*, today: date | None = None) -> Cycle | None:
    """The most recent cycle that has opened, else the earliest one to come."""
    today = today or clock.today()
    return (Cycle.objects.filter(opens_on__lte=today).order_by("-year_start").first()
            or Cycle.objects.order_by("year_start").first())


@dataclass
class QueueRow:
    partnership: Partnership
    assessment: SelfAssessment | None
    key: str
    label: str
    days_waiting: int | None

    @property
    def submitted_on(self) -> date | None:
        a = self.assessment
        return timezone.localdate(a.submitted_at) if a and a.submitted_at else None

    @property
    def review_date(self) -> date | None:
        return self.assessment.review_date if self.assessment else None


def _row(partnership: Partnership, assessment: SelfAssessment | None, today: date) -> QueueRow:
    if assessment is None:
        return QueueRow(partnership, None, NOT_STARTED, "Not started", None)
    status = assessment.status
    days = None
    if status == Status.DEFERRED and assessment.review_date and assessment.review_date <= today:
        return QueueRow(partnership, assessment, REVIEW_DUE, "Review due",
                        (today - assessment.review_date).days)
    if status in (Status.SUBMITTED, Status.UNDER_REVIEW) and assessment.submitted_at:
        days = (today - timezone.localdate(assessment.submitted_at)).days
    return QueueRow(partnership, assessment, status, assessment.get_status_display(), days)


@dataclass
class Queue:
    rows: list[QueueRow]
    counts: list[tuple[str, str, int]]
    total: int
    reviews_due: list[SelfAssessment]


def review_queue(*, user, cycle: Cycle | None, status: str = "",
                 today: date | None = None) -> Queue:
    """Every partnership in the reviewer's regions with its assessment for `cycle`, in working
    order, optionally only one status; counts per status; and deferred reviews due in any cycle.
    A fixed number of queries, however many partnerships."""
    today = today or clock.today()
    region_ids = reviewer_region_ids(user)
    partnerships = list(
        Partnership.objects.filter(local_authority__region_id__in=region_ids)
        .select_related("local_authority__region").order_by("name")
    )
    by_partnership = {}
    if cycle is not None:
        by_partnership = {
            a.partnership_id: a
            for a in SelfAssessment.objects.filter(
                cycle=cycle, partnership__local_authority__region_id__in=region_ids
            ).select_related("reviewer")
        }
    rows = [_row(p, by_partnership.get(p.pk), today) for p in partnerships]
    tally = {key: 0 for key, _ in QUEUE_STATUSES}
    for row in rows:
        tally[row.key] += 1
    if status:
        rows = [r for r in rows if r.key == status]
    rows.sort(key=lambda r: (
        _RANK[r.key], -(r.days_waiting or 0), r.partnership.name,
    ))
    reviews_due = list(
        SelfAssessment.objects.filter(
            partnership__local_authority__region_id__in=region_ids,
            status=Status.DEFERRED, review_date__lte=today,
        ).select_related("partnership__local_authority", "cycle").order_by("review_date")
    )
    return Queue(
        rows=rows, counts=[(key, label, tally[key]) for key, label in QUEUE_STATUSES],
        total=len(partnerships), reviews_due=reviews_due,
    )
