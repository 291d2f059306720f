"""Reads for the Government Office reviewer's pages: the region's queue, what may be reviewed,
and what may be accredited in bulk."""

from dataclasses import dataclass
from datetime import date

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from core import clock
from partnerships.models import Partnership, Role

from .models import AWAITING_REVIEW, Cycle, DeferralResponse, GoRating, SelfAssessment, Status
from .selectors import EVER_SUBMITTED, assessment_was_submitted

NOT_STARTED = "not_started"
REVIEW_DUE = "review_due"

# Queue filter statuses, in the order the counts are shown.
QUEUE_STATUSES = [
    (REVIEW_DUE, "Review due"),
    (Status.SUBMITTED.value, "Submitted"),
    (Status.UNDER_REVIEW.value, "Under review"),
    (Status.RESPONSE_RECEIVED.value, "Response received"),
    (Status.DEFERRED.value, "Deferred"),
    (Status.ACCREDITED.value, "Accredited"),
    (Status.DRAFT.value, "Draft"),
    (NOT_STARTED, "Not started"),
]
# The order rows are worked in: reviews due first, then what waits longest for a decision.
_RANK = {REVIEW_DUE: 0, Status.SUBMITTED: 1, Status.UNDER_REVIEW: 2, Status.RESPONSE_RECEIVED: 3,
         Status.DEFERRED: 4, Status.DRAFT: 5, NOT_STARTED: 6, Status.ACCREDITED: 7}


def reviewer_region_ids(user) -> set[int]:
    if not user.is_authenticated:
        return set()
    from partnerships.selectors import _assignments

    return {a.region_id for a in _assignments(user) if a.role == Role.GO_REVIEWER and a.region_id}


def assessments_reviewable_by(user) -> QuerySet[SelfAssessment]:
    """Assessments of the partnerships in the regions the user reviews for, once submitted
    (`selectors.EVER_SUBMITTED`, the rule of `assessments_visible_to`); none for anyone else.
    The queue links exactly these (`QueueRow.readable`)."""
    return SelfAssessment.objects.filter(
        EVER_SUBMITTED, partnership__local_authority__region_id__in=reviewer_region_ids(user)
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
    timing: str = ""  # for a deferred partnership: days to its review, or overdue

    @property
    def submitted_on(self) -> date | None:
        a = self.assessment
        return timezone.localdate(a.submitted_at) if a and a.submitted_at else None

    @property
    def review_date(self) -> date | None:
        return self.assessment.review_date if self.assessment else None

    @property
    def readable(self) -> bool:
        """The reviewer may open it: submitted at least once (a draft returned for changes is
        readable, one never submitted is not), as `assessments_reviewable_by` decides."""
        return self.assessment is not None and assessment_was_submitted(self.assessment)

    @property
    def awaiting_review(self) -> bool:
        """Deferred, waiting for its review date, with or without a response."""
        return bool(self.assessment and self.assessment.status in AWAITING_REVIEW)

    @property
    def response_on(self) -> date | None:
        """When the response to the deferral arrived (signed off by the chair)."""
        at = getattr(self.assessment, "response_signed_off_at", None) if self.assessment else None
        return timezone.localdate(at) if at else None


def review_timing(review_date: date | None, today: date) -> str:
    """'12 days to go', 'due today' or 'overdue by 3 days', by the service's clock."""
    if review_date is None:
        return ""
    days = (review_date - today).days
    if days > 0:
        return f"{days:,} day{'s' if days != 1 else ''} to go"
    if days == 0:
        return "due today"
    return f"overdue by {-days:,} day{'s' if days != -1 else ''}"


def with_response_dates(assessments: QuerySet[SelfAssessment]) -> QuerySet[SelfAssessment]:
    """Each assessment with `response_signed_off_at`: when the partnership's response to its
    latest deferral arrived (None if it has not)."""
    return assessments.annotate(response_signed_off_at=Subquery(
        DeferralResponse.objects.filter(
            assessment=OuterRef("pk"), review_round=OuterRef("review_round") + 1,
            signed_off_at__isnull=False,
        ).values("signed_off_at")[:1]
    ))


def _row(partnership: Partnership, assessment: SelfAssessment | None, today: date) -> QueueRow:
    if assessment is None:
        return QueueRow(partnership, None, NOT_STARTED, "Not started", None)
    status = assessment.status
    days = None
    if status in AWAITING_REVIEW and assessment.review_date and assessment.review_date <= today:
        return QueueRow(partnership, assessment, REVIEW_DUE, "Review due",
                        (today - assessment.review_date).days)
    if status in (Status.SUBMITTED, Status.UNDER_REVIEW) and assessment.submitted_at:
        days = (today - timezone.localdate(assessment.submitted_at)).days
    return QueueRow(partnership, assessment, status, assessment.get_status_display(), days)


@dataclass
class DeferredReview:
    """A deferred partnership waiting for its review: when, and whether its response is in."""

    assessment: SelfAssessment
    timing: str
    due: bool

    @property
    def response_on(self) -> date | None:
        at = self.assessment.response_signed_off_at
        return timezone.localdate(at) if at else None


@dataclass
class Queue:
    rows: list[QueueRow]
    counts: list[tuple[str, str, int]]
    total: int
    deferred: list[DeferredReview]
    today: date

    @property
    def reviews_due(self) -> list[SelfAssessment]:
        return [d.assessment for d in self.deferred if d.due]


def review_queue(*, user, cycle: Cycle | None, status: str = "",
                 today: date | None = None) -> Queue:
    """Every partnership in the reviewer's regions with its assessment for `cycle`, in working
    order, optionally only one status; counts per status; and the deferred partnerships of any
    cycle with their review dates and whether their responses have arrived.
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
            for a in with_response_dates(SelfAssessment.objects.filter(
                cycle=cycle, partnership__local_authority__region_id__in=region_ids
            ).select_related("reviewer"))
        }
    rows = [_row(p, by_partnership.get(p.pk), today) for p in partnerships]
    for row in rows:
        if row.awaiting_review:
            row.timing = review_timing(row.review_date, today)
    tally = {key: 0 for key, _ in QUEUE_STATUSES}
    for row in rows:
        tally[row.key] += 1
    if status:
        rows = [r for r in rows if r.key == status]
    rows.sort(key=lambda r: (
        _RANK[r.key], -(r.days_waiting or 0), r.partnership.name,
    ))
    deferred = [
        DeferredReview(a, review_timing(a.review_date, today),
                       a.review_date is not None and a.review_date <= today)
        for a in with_response_dates(SelfAssessment.objects.filter(
            partnership__local_authority__region_id__in=region_ids,
            status__in=AWAITING_REVIEW,
        )).select_related("partnership__local_authority", "cycle").order_by(
            "review_date", F("partnership__name").asc())
    ]
    return Queue(
        rows=rows, counts=[(key, label, tally[key]) for key, label in QUEUE_STATUSES],
        total=len(partnerships), deferred=deferred, today=today,
    )
