"""Reads for the partnership's pages and for the services: which assessments a user may see,
what still stops submission, the answers with their evidence, and the history."""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Prefetch, Q, QuerySet, Sum

from partnerships.models import PARTNERSHIP_ROLES, REGION_ROLES, Member, RoleAssignment, Sector
from partnerships.selectors import is_national, role_scopes

from .models import (
    AWAITING_REVIEW,
    AreaOfConcern,
    ConcernResponse,
    Decision,
    DeferralResponse,
    EvidenceFile,
    GoRating,
    Rating,
    RequirementResponse,
    SelfAssessment,
    Status,
)

# Submitted at least once: any status after a draft, or a draft that was returned for changes
# (its `submitted_at` stays). A draft never submitted is the partnership's own work in progress.
EVER_SUBMITTED = ~Q(status=Status.DRAFT) | Q(submitted_at__isnull=False)


def assessment_was_submitted(assessment: SelfAssessment) -> bool:
    """`EVER_SUBMITTED` for one assessment already loaded (the review queue's links)."""
    return assessment.status != Status.DRAFT or assessment.submitted_at is not None


def assessments_visible_to(user) -> QuerySet[SelfAssessment]:
    """The one rule for who may read a self-assessment, its answers and its evidence files:
    the partnership's own officers and chair always; its region's Government Office reviewers
    and NRU staff once it has been submitted (`EVER_SUBMITTED`), never a draft that has not
    been. The partnership's pages, the reviewer's pages, the letters and the evidence downloads
    all read through this."""
    own, regions = role_scopes(user, partnership_roles=PARTNERSHIP_ROLES,
                               region_roles=REGION_ROLES)
    rule = Q(partnership_id__in=own)  # an empty set matches nothing
    if is_national(user):
        rule |= EVER_SUBMITTED
    elif regions:
        rule |= Q(partnership__local_authority__region_id__in=regions) & EVER_SUBMITTED
    return SelfAssessment.objects.filter(rule).select_related(
        "partnership__local_authority__region", "cycle")


def assessment_evidence_bytes(assessment: SelfAssessment) -> int:
    """The size of every file of the assessment: its answers' and its deferral responses'."""
    return EvidenceFile.objects.filter(
        Q(response__assessment=assessment)
        | Q(concern_response__deferral_response__assessment=assessment)
    ).aggregate(total=Sum("size"))["total"] or 0


def evidence_visible_to(user) -> QuerySet[EvidenceFile]:
    """Evidence files of the assessments the user may see. A response to a deferral is the
    partnership's own until its chair signs it off: until then only the partnership's officers
    and chair see its files."""
    visible = assessments_visible_to(user)
    own = RoleAssignment.objects.filter(user_id=user.pk, role__in=PARTNERSHIP_ROLES).values(
        "partnership_id")
    prefix = "concern_response__deferral_response__"
    return EvidenceFile.objects.filter(
        Q(response__assessment__in=visible)
        | (Q(**{f"{prefix}assessment__in": visible})
           & (Q(**{f"{prefix}signed_off_at__isnull": False})
              | Q(**{f"{prefix}assessment__partnership_id__in": own})))
    )


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



def answer_needs_check(response: RequirementResponse) -> bool:
    """An answer carried forward from the previous cycle that no officer has confirmed or
    edited since: "Check again", not completed."""
    return response.carried_forward_from_id is not None and response.checked_at is None


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


_TRANSITION_TITLES: dict[str, str] = {
    Status.SUBMITTED: "Signed off by the chair and submitted",
    Status.UNDER_REVIEW: "Review started by the Government Office",
    Status.DRAFT: "Returned for changes",
    Status.ACCREDITED: "Accredited",
    Status.DEFERRED: "Accreditation deferred",
    Status.RESPONSE_RECEIVED: "Response to the areas of concern signed off by the chair and sent",
}


def events_with_rounds(assessment: SelfAssessment) -> list:
    """The assessment's transitions, oldest first, each with `review_round` (the round it
    happened in: a review started after a deferral opens the next one) and `title` (what
    happened, in words; naming the round once there has been more than one)."""
    events = list(assessment.events.select_related("decision").order_by("at", "id"))
    review_round = 1
    for event in events:
        if event.to_status == Status.UNDER_REVIEW and event.from_status in AWAITING_REVIEW:
            review_round += 1
        event.review_round = review_round
    several = review_round > 1
    for event in events:
        n = event.review_round
        title = _TRANSITION_TITLES.get(event.to_status, event.get_to_status_display())
        if event.to_status == Status.UNDER_REVIEW and n > 1 and event.from_status in AWAITING_REVIEW:
            title = f"Review round {n} started by the Government Office"
        elif event.to_status == Status.RESPONSE_RECEIVED:
            title = f"{title} for review round {n + 1}"
        elif several and event.decision_id:
            title = f"{title} (review round {n})"
        event.title = title
    return events


def assessment_timeline(assessment: SelfAssessment) -> list[TimelineEntry]:
    """Every edit and transition of the assessment, newest first: who, when, what changed."""
    entries = [
        TimelineEntry(
            at=event.at, who=event.actor_label or "system", title=event.title,
            detail=event.reason, changes={},
            decided_on=event.decision.decided_on if event.decision else None,
        )
        for event in events_with_rounds(assessment)
    ]
    entries += [
        TimelineEntry(
            at=change.at, who=str(change.by) if change.by else "system", title=change.summary,
            detail="", changes={k: v for k, v in change.changes.items() if not k.startswith("_")},
        )
        for change in assessment.changes.select_related("by")
    ]
    return sorted(entries, key=lambda e: e.at, reverse=True)


# --- The response to a deferral ---------------------------------------------------------------

# The Government Office's ratings that the partnership may answer again in its response.
RATINGS_TO_ANSWER = frozenset({Rating.RED, Rating.AMBER})


def go_rating_effective(self_rating: str, go_rating: str) -> str:
    """The Government Office's rating of an answer: its own, or (when it agreed) the
    partnership's; empty when it has not rated it."""
    return self_rating if go_rating == GoRating.AGREE else go_rating


def deferral_decision(assessment: SelfAssessment, *, review_round: int | None = None
                      ) -> Decision | None:
    """The deferral a response answers: the assessment's latest, or the one that opened
    `review_round` (made in the round before it)."""
    decisions = assessment.decisions.filter(outcome=Decision.Outcome.DEFERRED)
    if review_round is not None:
        decisions = decisions.filter(review_round=review_round - 1)
    return decisions.order_by("-decided_at", "-id").first()


@dataclass
class ConcernItem:
    """An area of concern of the deferral beside what the partnership has said about it."""

    concern: AreaOfConcern
    concern_response: ConcernResponse | None
    files: list[EvidenceFile]

    @property
    def progress(self) -> str:
        return self.concern_response.progress if self.concern_response else ""

    @property
    def version(self) -> int:
        """What a form carries: 0 before anything was saved."""
        return self.concern_response.version if self.concern_response else 0


@dataclass
class DeferralRound:
    """The partnership's response to one deferral, for the review round that follows it."""

    assessment: SelfAssessment
    decision: Decision
    response: DeferralResponse | None
    items: list[ConcernItem]

    @property
    def review_round(self) -> int:
        return self.decision.review_round + 1

    @property
    def is_signed_off(self) -> bool:
        return bool(self.response and self.response.is_signed_off)

    @property
    def is_open(self) -> bool:
        """The partnership may still write it: the assessment waits in this deferral and the
        chair has not signed the response off."""
        latest = self.assessment.status == Status.DEFERRED and (
            self.assessment.review_round == self.decision.review_round)
        return latest and not self.is_signed_off

    @property
    def version(self) -> int:
        return self.response.version if self.response else 0

    @property
    def sign_off_requested(self) -> bool:
        return bool(self.response and self.response.sign_off_requested_at
                    and not self.response.is_signed_off)

    def item(self, concern_pk) -> ConcernItem | None:
        return next((i for i in self.items if str(i.concern.pk) == str(concern_pk)), None)


def deferral_round(assessment: SelfAssessment, *, review_round: int | None = None,
                   decision: Decision | None = None) -> DeferralRound | None:
    """The response to the assessment's latest deferral (or to the one that opened
    `review_round`): each area of concern with the progress written and the files attached so
    far. None if the assessment has no such deferral."""
    if decision is None:
        decision = deferral_decision(assessment, review_round=review_round)
    if decision is None:
        return None
    concerns = list(decision.concerns.select_related("requirement"))
    response = (DeferralResponse.objects.filter(decision=decision)
                .select_related("signed_off_by", "sign_off_requested_by").first())
    by_concern = {}
    if response is not None:
        by_concern = {
            c.concern_id: c
            for c in response.concern_responses.select_related("updated_by").prefetch_related(
                Prefetch("evidence_files",
                         queryset=EvidenceFile.objects.order_by("uploaded_at", "id")))
        }
    items = []
    for concern in concerns:
        answered = by_concern.get(concern.pk)
        files = list(answered.evidence_files.all()) if answered else []
        items.append(ConcernItem(concern=concern, concern_response=answered, files=files))
    return DeferralRound(assessment=assessment, decision=decision, response=response, items=items)


def deferral_blockers(response_round: DeferralRound) -> list[Blocker]:
    """What must be done before the chair can sign the response off: progress written on each
    area of concern."""
    return [
        Blocker(f"concern-{item.concern.pk}",
                f"Write the progress made on {item.concern.requirement.code} "
                f"{item.concern.requirement.title}")
        for item in response_round.items if not item.progress.strip()
    ]


def deferral_answers(assessment: SelfAssessment, decision: Decision) -> list[RequirementResponse]:
    """The answers the partnership may change in its response: those the Government Office
    rated red or amber in the round of the deferral."""
    answered = decision.snapshot.get("answers", {})
    chosen = []
    for response in assessment.responses.select_related("requirement").order_by(
            "requirement__order"):
        then = answered.get(response.requirement.code)
        self_rating, go_rating = ((then["self_rating"], then["go_rating"]) if then
                                  else (response.self_rating, response.go_rating))
        if go_rating_effective(self_rating, go_rating) in RATINGS_TO_ANSWER:
            response.go_rating_then = go_rating_effective(self_rating, go_rating)
            response.go_comment_then = then["go_comment"] if then else response.go_comment
            chosen.append(response)
    return chosen


@dataclass(frozen=True)
class AnswerChange:
    code: str
    title: str
    rating_before: str
    rating_after: str
    case_before: str
    case_after: str

    @property
    def rating_changed(self) -> bool:
        return self.rating_before != self.rating_after

    @property
    def case_changed(self) -> bool:
        return self.case_before != self.case_after

    @property
    def rating_before_label(self) -> str:
        return Rating(self.rating_before).label if self.rating_before else "Not rated"

    @property
    def rating_after_label(self) -> str:
        return Rating(self.rating_after).label if self.rating_after else "Not rated"


@dataclass
class RoundChanges:
    """What has changed since a decision was made: answers and membership."""

    decision: Decision
    answers: list[AnswerChange] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    members_recorded: bool = True
    answers_recorded: bool = True

    @property
    def nothing(self) -> bool:
        return not self.answers and not self.members


def _member_words(m: dict) -> str:
    sector = Sector(m["sector"]).label.lower() if m["sector"] in Sector.values else m["sector"]
    who = f", represented by {m['representative']}" if m["representative"] else ""
    chair = ", the chair" if m["role"] == Member.Role.CHAIR else ""
    return f"{m['organisation']} ({sector} sector{who}{chair})"


def changes_since(decision: Decision) -> RoundChanges:
    """The answers and the membership now, against what `decision` was made on."""
    assessment = decision.assessment
    changes = RoundChanges(decision=decision)
    then = decision.snapshot.get("answers")
    if then is None:
        changes.answers_recorded = False
    else:
        for r in assessment.responses.select_related("requirement").order_by(
                "requirement__order"):
            before = then.get(r.requirement.code, {"self_rating": "", "case": ""})
            if (before["self_rating"], before["case"]) != (r.self_rating, r.case):
                changes.answers.append(AnswerChange(
                    code=r.requirement.code, title=r.requirement.title,
                    rating_before=before["self_rating"], rating_after=r.self_rating,
                    case_before=before["case"], case_after=r.case,
                ))
    members_then = decision.snapshot.get("members")
    if members_then is None:
        changes.members_recorded = False
        return changes
    now = {m.pk: {"organisation": m.organisation, "representative": m.representative,
                  "sector": m.sector, "role": m.role}
           for m in Member.objects.filter(partnership_id=assessment.partnership_id)}
    before = {m["id"]: m for m in members_then}
    for pk, m in now.items():
        if pk not in before:
            changes.members.append(f"Joined: {_member_words(m)}")
        elif any(before[pk][k] != m[k] for k in m):
            changes.members.append(f"Changed: {_member_words(before[pk])} is now "
                                   f"{_member_words(m)}")
    for pk, m in before.items():
        if pk not in now:
            changes.members.append(f"Left: {_member_words(m)}")
    return changes
