from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, transition

from core import clock
from core.models import TimeStampedModel
from partnerships.models import Partnership, Sector


class Cycle(models.Model):
    """One accreditation round, tied to the financial year whose money it unlocks."""

    name = models.CharField(max_length=20, unique=True, help_text="For example 2002/03.")
    year_start = models.PositiveSmallIntegerField(
        unique=True, help_text="Calendar year the financial year starts in (April)."
    )
    opens_on = models.DateField()
    submission_deadline = models.DateField()
    announcement_date = models.DateField(
        help_text="Decisions of this cycle are public from this date."
    )

    class Meta:
        ordering = ["-year_start"]
        constraints = [
            models.CheckConstraint(
                name="cycle_dates_in_order",
                condition=Q(opens_on__lte=models.F("submission_deadline"))
                & Q(submission_deadline__lte=models.F("announcement_date")),
            ),
        ]

    def __str__(self):
        return self.name


class Requirement(models.Model):
    """A key requirement of a cycle. Editable data, ordered; some are core."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="requirements")
    code = models.CharField(max_length=10)
    order = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=150)
    description = models.TextField(help_text="What the LSP must show.")
    is_core = models.BooleanField(default=False)
    wording_status = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["cycle", "order"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "code"], name="requirement_code_unique"),
            models.UniqueConstraint(fields=["cycle", "order"], name="requirement_order_unique"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under review"
    ACCREDITED = "accredited", "Accredited"
    DEFERRED = "deferred", "Deferred"
    RESPONSE_RECEIVED = "response_received", "Response received"


# A deferred assessment waits for its review date in one of these: with or without the
# partnership's response to the areas of concern.
AWAITING_REVIEW = (Status.DEFERRED, Status.RESPONSE_RECEIVED)


class FundingState(models.TextChoices):
    """The decision in force for funding: it survives a deferred partnership's re-review."""

    UNDECIDED = "undecided", "Not yet decided"
    ACCREDITED = "accredited", "Accredited"
    DEFERRED = "deferred", "Deferred"


class SelfAssessment(TimeStampedModel):
    """A partnership's self-assessment for one cycle; its status is a state machine
    (docs/adr/0002-state-machine-with-django-fsm-2.md)."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, related_name="assessments"
    )
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="assessments")
    status = FSMField(choices=Status.choices, default=Status.DRAFT, protected=True, db_index=True)
    funding_state = models.CharField(
        max_length=20, choices=FundingState.choices, default=FundingState.UNDECIDED, db_index=True,
        help_text="Set only by accredit and defer; what the release rule reads.",
    )
    review_round = models.PositiveSmallIntegerField(default=1)
    version = models.PositiveIntegerField(
        default=1, help_text="Incremented on every change; a form posted from an older page is refused."
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text="The GO reviewer who took the current review.",
    )
    review_started_at = models.DateTimeField(null=True, blank=True)
    review_date = models.DateField(
        null=True, blank=True, help_text="When a deferred partnership is reviewed again."
    )
    inclusiveness_note = models.TextField(
        blank=True, help_text="How the partnership is addressing key sectors missing from it."
    )
    sign_off_requested_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When an officer asked the chair to sign off; cleared by any later change.",
    )
    sign_off_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["cycle", "partnership"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "cycle"], name="one_assessment_per_partnership_cycle"
            ),
            models.CheckConstraint(
                name="deferred_has_review_date",
                condition=~Q(status__in=["deferred", "response_received"])
                | Q(review_date__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.partnership} {self.cycle}"

    # Transitions: declared here, performed only by accreditation.services (transitions.py).
    @transition(field=status, source=Status.DRAFT, target=Status.SUBMITTED)
    def submit(self):
        pass

    @transition(field=status, source=[Status.SUBMITTED, *AWAITING_REVIEW],
                target=Status.UNDER_REVIEW)
    def start_review(self):
        """From a deferral (with or without a response) it opens the next review round."""

    @transition(field=status, source=Status.DEFERRED, target=Status.RESPONSE_RECEIVED)
    def respond(self):
        """The chair signs off the partnership's response to the deferral."""

    @transition(field=status, source=Status.UNDER_REVIEW, target=Status.DRAFT)
    def return_for_changes(self):
        pass

    @transition(field=status, source=Status.UNDER_REVIEW, target=Status.ACCREDITED)
    def accredit(self):
        pass

    @transition(field=status, source=Status.UNDER_REVIEW, target=Status.DEFERRED)
    def defer(self):
        pass

    @property
    def is_editable_by_lsp(self) -> bool:
        return self.status == Status.DRAFT


class Rating(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"


class GoRating(models.TextChoices):
    AGREE = "agree", "Agree with the self-rating"
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"


class RequirementResponse(TimeStampedModel):
    """The LSP's answer to one requirement, and the Government Office's view beside it."""

    assessment = models.ForeignKey(
        SelfAssessment, on_delete=models.CASCADE, related_name="responses"
    )
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="+")
    self_rating = models.CharField(max_length=10, choices=Rating.choices, blank=True)
    case = models.TextField(blank=True, help_text="The partnership's case, with its evidence.")
    go_rating = models.CharField(max_length=10, choices=GoRating.choices, blank=True)
    go_comment = models.TextField(blank=True)
    return_reason = models.TextField(
        blank=True, help_text="Why the Government Office returned this requirement for changes."
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Incremented on every save; a save from an older page is refused."
    )
    carried_forward_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The previous cycle's answer this one started from.",
    )
    checked_at = models.DateTimeField(null=True, blank=True, help_text="When an officer confirmed "
                                      "or edited an answer carried forward (until then: check again).")

    class Meta:
        ordering = ["assessment", "requirement__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "requirement"], name="one_response_per_requirement"
            ),
            models.CheckConstraint(
                name="go_challenge_has_reason",
                condition=Q(go_rating__in=["", "agree"]) | ~Q(go_comment=""),
            ),
        ]

    def __str__(self):
        return f"{self.assessment} {self.requirement.code}"

    @property
    def is_complete(self) -> bool:
        return bool(self.self_rating and self.case.strip())


class EvidenceFile(models.Model):
    """A file attached to one requirement's answer, or to the partnership's progress on an area
    of concern in its response to a deferral (exactly one of the two); stored outside any
    directly served root. The same checks apply to both (accreditation/evidence.py)."""

    response = models.ForeignKey(
        RequirementResponse, null=True, blank=True, on_delete=models.CASCADE,
        related_name="evidence_files",
    )
    concern_response = models.ForeignKey(
        "ConcernResponse", null=True, blank=True, on_delete=models.CASCADE,
        related_name="evidence_files",
    )
    file = models.FileField(upload_to="evidence/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["uploaded_at"]
        constraints = [
            models.CheckConstraint(
                name="evidence_has_one_owner",
                condition=(Q(response__isnull=False) & Q(concern_response__isnull=True))
                | (Q(response__isnull=True) & Q(concern_response__isnull=False)),
            ),
        ]

    def __str__(self):
        return self.original_name


class StakeholderView(models.Model):
    class Stance(models.TextChoices):
        SUPPORTS = "supports", "Supports"
        CONCERNS = "concerns", "Has concerns"

    assessment = models.ForeignKey(
        SelfAssessment, on_delete=models.CASCADE, related_name="stakeholder_views"
    )
    organisation = models.CharField(max_length=200)
    sector = models.CharField(max_length=20, choices=Sector.choices)
    stance = models.CharField(max_length=10, choices=Stance.choices)
    comment = models.TextField()
    given_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(default=clock.now)
    review_round = models.PositiveSmallIntegerField(
        default=1, help_text="The review round the view was given for."
    )

    class Meta:
        ordering = ["given_on", "id"]

    def __str__(self):
        return f"{self.organisation}: {self.get_stance_display()}"


class Decision(models.Model):
    class Outcome(models.TextChoices):
        ACCREDITED = "accredited", "Accredited"
        ACCREDITED_WITH_CONCERNS = "accredited_with_concerns", "Accredited with areas of concern"
        DEFERRED = "deferred", "Deferred"
        RETURNED = "returned", "Returned for changes"

    assessment = models.ForeignKey(SelfAssessment, on_delete=models.PROTECT,
                                   related_name="decisions")
    review_round = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=30, choices=Outcome.choices)
    review_date = models.DateField(null=True, blank=True)
    summary = models.TextField(blank=True)
    letter = models.TextField(blank=True, help_text="The decision letter sent to the LSP.")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    # The date of the decision, as the reviewer gives it (the letter's date, what funding takes
    # effect from); decided_at is when it was recorded in the service.
    decided_on = models.DateField(default=clock.today)
    decided_at = models.DateTimeField(default=clock.now)
    snapshot = models.JSONField(
        default=dict, blank=True,
        help_text="What the decision was made on: each answer with the Government Office's "
                  "rating, and the membership. Compared with later rounds.",
    )

    class Meta:
        ordering = ["assessment", "decided_at"]
        constraints = [
            models.CheckConstraint(
                name="deferral_has_review_date",
                condition=~Q(outcome="deferred") | Q(review_date__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.assessment}: {self.get_outcome_display()}"


class AreaOfConcern(models.Model):
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="concerns")
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="+")
    concern = models.TextField()
    action_required = models.TextField()
    due_by = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["decision", "requirement__order"]

    def __str__(self):
        return f"{self.requirement.code}: {self.concern[:50]}"


class AccreditationEvent(models.Model):
    """Every transition: from, to, who, when, why. Append-only by convention of the services."""

    assessment = models.ForeignKey(SelfAssessment, on_delete=models.PROTECT,
                                   related_name="events")
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                           on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(
        max_length=150, blank=True, help_text="Who acted, as shown in the timeline."
    )
    at = models.DateTimeField(default=clock.now, db_index=True,
                              help_text="When it was recorded.")
    effective_on = models.DateField(
        default=clock.today,
        help_text="The date it takes effect: the decision's date for a decision "
                  "(Decision.decided_on), otherwise the day it was recorded.",
    )
    reason = models.TextField(blank=True)
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="events")

    class Meta:
        ordering = ["assessment", "at", "id"]

    def __str__(self):
        return f"{self.assessment}: {self.from_status or '—'} → {self.to_status}"


class ConcernProgress(TimeStampedModel):
    """A partnership's account of its progress on an area of concern from its previous cycle."""

    assessment = models.ForeignKey(
        SelfAssessment, on_delete=models.CASCADE, related_name="concern_progress"
    )
    concern = models.ForeignKey(AreaOfConcern, on_delete=models.PROTECT, related_name="progress")
    progress = models.TextField(blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["assessment", "concern__requirement__order", "concern_id"]
        verbose_name_plural = "concern progress"
        constraints = [
            models.UniqueConstraint(fields=["assessment", "concern"],
                                    name="one_progress_per_concern"),
        ]

    def __str__(self):
        return f"{self.assessment}: progress on {self.concern}"


class AssessmentChange(models.Model):
    """An edit to a draft (a save, a file added or removed): who, when and what changed.

    Transitions are AccreditationEvents; together they make the assessment's timeline.
    """

    class Action(models.TextChoices):
        STARTED = "started", "Self-assessment started"
        RESPONSE_SAVED = "response_saved", "Answer saved"
        EVIDENCE_ADDED = "evidence_added", "Evidence added"
        EVIDENCE_REMOVED = "evidence_removed", "Evidence removed"
        PROGRESS_SAVED = "progress_saved", "Progress on an area of concern saved"
        SIGN_OFF_REQUESTED = "sign_off_requested", "Chair asked to sign off"
        ANSWER_CONFIRMED = "answer_confirmed", "Answer carried forward confirmed"

    assessment = models.ForeignKey(SelfAssessment, on_delete=models.CASCADE,
                                   related_name="changes")
    action = models.CharField(max_length=30, choices=Action.choices)
    requirement = models.ForeignKey(Requirement, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                           on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=clock.now, db_index=True)
    summary = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True,
                               help_text="Field name to [before, after].")

    class Meta:
        ordering = ["assessment", "at", "id"]

    def __str__(self):
        return f"{self.assessment}: {self.summary}"


class DeferralResponse(TimeStampedModel):
    """The partnership's response to a deferral, for the review round that follows it: its
    progress on each area of concern (ConcernResponse, with evidence), written by its officers
    and signed off by its chair. One per deferral decision; the Government Office sees it once
    signed off."""

    assessment = models.ForeignKey(SelfAssessment, on_delete=models.PROTECT,
                                   related_name="deferral_responses")
    decision = models.OneToOneField(Decision, on_delete=models.PROTECT,
                                    related_name="deferral_response")
    review_round = models.PositiveSmallIntegerField(
        help_text="The review round it is for: the deferral's round plus one."
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Incremented on every change; the chair signs off what they saw."
    )
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    sign_off_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="When an officer asked the chair to sign off; cleared "
                                         "by any later change.",
    )
    sign_off_requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                              on_delete=models.PROTECT, related_name="+")
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["assessment", "review_round"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "review_round"],
                                    name="one_deferral_response_per_round"),
        ]

    def __str__(self):
        return f"{self.assessment}: response for review round {self.review_round}"

    @property
    def is_signed_off(self) -> bool:
        return self.signed_off_at is not None


class ConcernResponse(TimeStampedModel):
    """The partnership's progress on one area of concern of the deferral, with its evidence."""

    deferral_response = models.ForeignKey(DeferralResponse, on_delete=models.CASCADE,
                                          related_name="concern_responses")
    concern = models.ForeignKey(AreaOfConcern, on_delete=models.PROTECT,
                                related_name="deferral_progress")
    progress = models.TextField(blank=True)
    version = models.PositiveIntegerField(
        default=1, help_text="Incremented on every save; a save from an older page is refused."
    )
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["deferral_response", "concern__requirement__order", "concern_id"]
        constraints = [
            models.UniqueConstraint(fields=["deferral_response", "concern"],
                                    name="one_concern_response_per_concern"),
        ]

    def __str__(self):
        return f"{self.deferral_response}: progress on {self.concern}"
