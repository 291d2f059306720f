"""The read side's own records: what was announced for each accreditation cycle.

An `Announcement` and its `AnnouncedDecision` rows are taken once, when a cycle's announcement
date has come (`reporting.announcements`), and never changed afterwards: the model refuses an
update or a delete, and so does PostgreSQL itself (migration 0002). Later decisions on the cycle
are not written here; the public pages derive them from `accreditation.Decision` as dated updates
beneath the record (docs/adr/0018-published-record-kept-as-announced.md).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey

from accreditation.models import Cycle, Decision, FundingState, SelfAssessment
from partnerships.models import Partnership


class AnnouncementQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError("What was announced is kept as announced: it cannot be updated.")

    def delete(self):
        raise ValidationError("What was announced is kept as announced: it cannot be deleted.")


class KeptAsAnnounced(models.Model):
    """Rows that are only ever added."""

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError("What was announced is kept as announced: it cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("What was announced is kept as announced: it cannot be deleted.")


class Announcement(KeptAsAnnounced):
    """A cycle's decisions as they were announced: the totals and the written answer's text."""

    cycle = models.OneToOneField(Cycle, on_delete=models.PROTECT, related_name="announcement")
    announced_on = models.DateField(help_text="The cycle's announcement date when it was taken.")
    recorded_at = models.DateTimeField(help_text="When the record was taken (the service's clock).")
    fund_code = models.CharField(max_length=10, help_text="The fund whose allocations it states.")
    year_label = models.CharField(max_length=20, help_text="The financial year of those allocations.")
    partnerships = models.PositiveIntegerField()
    accredited = models.PositiveIntegerField()
    deferred = models.PositiveIntegerField()
    undecided = models.PositiveIntegerField()
    allocation_pence = models.BigIntegerField(help_text="The fund's total for the year.")
    released_pence = models.BigIntegerField(help_text="Released by the decisions announced.")
    held_pence = models.BigIntegerField(help_text="Held until a decision or a review.")
    answer = models.TextField(help_text="The written answer's text, as published.")

    class Meta:
        ordering = ["-announced_on"]

    def __str__(self):
        return f"{self.cycle} announced {self.announced_on:%d %B %Y}"


class AnnouncedDecision(KeptAsAnnounced):
    """One partnership's line of an announcement, with the names and figures as published.

    `last_decision` is the assessment's latest Decision when the record was taken: a later one,
    or one dated after the announcement, is an update shown beneath the record."""

    announcement = models.ForeignKey(Announcement, on_delete=models.PROTECT,
                                     related_name="decisions")
    position = models.PositiveIntegerField(help_text="Order in the written answer.")
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(SelfAssessment, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    last_decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    region = models.CharField(max_length=60)
    government_office = models.CharField(max_length=100)
    authority = models.CharField(max_length=100)
    gss_code = models.CharField(max_length=9, blank=True)
    partnership_name = models.CharField(max_length=150)
    status = models.CharField(max_length=20, choices=FundingState.choices)
    review_date = models.DateField(null=True, blank=True)
    allocation_pence = models.BigIntegerField(null=True, blank=True)
    released_pence = models.BigIntegerField(null=True, blank=True)
    held_pence = models.BigIntegerField(null=True, blank=True)
    provenance = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["announcement", "position"]
        constraints = [
            models.UniqueConstraint(fields=["announcement", "partnership"],
                                    name="announced_once_per_partnership"),
            models.UniqueConstraint(fields=["announcement", "position"],
                                    name="announced_position_unique"),
        ]

    def __str__(self):
        return f"{self.authority}: {self.get_status_display()} ({self.announcement.cycle})"


class FiguresSnapshot(models.Model):
    """Figures the worker computed for one committed figures version, right after the change
    that made it (`reporting.figures_warm`), so that the first reader of the dashboard in any
    process need not compute them (docs/adr/0024-figures-warmed-after-commit.md).

    One row per cached name and key, overwritten by each warm-up. A row is read only when its
    `version` is the current figures version, so it is never served after a change; an older
    one is simply not found. Not a figure itself: nothing here moves the figures version.

    A file (the dashboard's XLSX export, a megabyte or two at 10,000 partnerships) is kept as
    bytes in `data`, its `value` saying only that it is there: a row is read by its name and
    key, so the dashboard's reads never fetch it."""

    name = models.CharField(max_length=60)
    key = models.CharField(max_length=255)
    version = models.BigIntegerField()
    value = models.JSONField()
    data = models.BinaryField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "key"],
                                               name="reporting_figuressnapshot_name_key")]

    def __str__(self):
        return f"{self.name} {self.key} at figures version {self.version}"


# --- API tokens (docs/adr/0022-api-tokens-managed-in-the-service.md) ----------------------------


class ApiToken(AbstractAPIKey):
    """A named read token of the API, issued by an NRU administrator. The key is shown once and
    stored only as a hash (djangorestframework-api-key's `prefix.hash` scheme); a request made
    with it acts as its creator, so it lapses with the creator's NRU role. Times come from the
    service's clock, not the library's."""

    created = models.DateTimeField(db_index=True, help_text="When it was issued (the service's clock).")
    expiry_date = models.DateTimeField(verbose_name="Expires",
                                       help_text="From this moment requests with it are refused.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API token"
        verbose_name_plural = "API tokens"

    def state_at(self, moment) -> str:
        if self.revoked:
            return "revoked"
        return "expired" if self.expiry_date <= moment else "active"


class ApiTokenUse(models.Model):
    """One request answered for a token: when, and what was asked for."""

    token = models.ForeignKey(ApiToken, on_delete=models.PROTECT, related_name="uses")
    used_at = models.DateTimeField()
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300, help_text="The path and query, cut to 300 characters.")

    class Meta:
        ordering = ["-used_at", "-pk"]
        indexes = [models.Index(fields=["token", "-used_at"], name="api_token_use_recent")]

    def __str__(self):
        return f"{self.token} {self.method} {self.path} at {self.used_at:%Y-%m-%d %H:%M}"
