from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accreditation.models import AccreditationEvent, Cycle
from core import clock
from core.models import Provenance, Source, UpdatedAtField
from partnerships.models import Partnership, Region

from . import rules


class Fund(models.Model):
    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.code


class FinancialYear(models.Model):
    """April to March; `start_year` 2002 is 2002/03."""

    start_year = models.PositiveSmallIntegerField(unique=True)
    label = models.CharField(max_length=7, unique=True)
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["start_year"]

    def __str__(self):
        return self.label


class PublishedTotal(models.Model):
    """A fund's national total for a year as published (the NRF's £200m / £300m / £400m).
    Illustrative allocations make up the difference between it and the real figures
    (docs/adr/0006-reference-data-and-illustrative-figures.md); an import re-shares them so the
    total still holds (reporting/import_write.py)."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="+")
    year = models.ForeignKey(FinancialYear, on_delete=models.PROTECT, related_name="+")
    amount_pence = models.BigIntegerField()

    class Meta:
        ordering = ["fund", "year"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "year"], name="one_published_total_per_fund_year"),
            models.CheckConstraint(name="published_total_not_negative",
                                   condition=Q(amount_pence__gte=0)),
        ]

    def __str__(self):
        return f"{self.fund} {self.year}: {self.amount_pence} pence"


def _fraction_field(help_text: str):
    return models.DecimalField(
        max_digits=5, decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=help_text,
    )


class Allocation(models.Model):
    """A partnership's anticipated allocation of one fund for one year, in whole pence."""

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT,
                                    related_name="allocations")
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="allocations")
    year = models.ForeignKey(FinancialYear, on_delete=models.PROTECT, related_name="allocations")
    amount_pence = models.BigIntegerField()
    provenance = models.CharField(max_length=20, choices=Provenance.choices)
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    note = models.CharField(max_length=300, blank=True)
    imported_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When an NRU import last set this figure: load_reference_data leaves it alone.",
    )
    updated_at = UpdatedAtField()

    class Meta:
        ordering = ["fund", "year", "partnership"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "fund", "year"],
                                    name="one_allocation_per_partnership_fund_year"),
            models.CheckConstraint(name="allocation_not_negative",
                                   condition=Q(amount_pence__gte=0)),
        ]

    def __str__(self):
        return f"{self.fund} {self.year}: published total"


class RegionalBudget(models.Model):
    """A fund's budget for a Government Office region (CEF is published this way)."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="budgets")
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="regional_budgets")
    year = models.ForeignKey(FinancialYear, on_delete=models.PROTECT, related_name="+")
    amount_pence = models.BigIntegerField()
    provenance = models.CharField(max_length=20, choices=Provenance.choices)
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")

    class Meta:
        ordering = ["fund", "year", "region"]
        constraints = [
            models.UniqueConstraint(fields=["region", "fund", "year"],
                                    name="one_budget_per_region_fund_year"),
            models.CheckConstraint(name="budget_not_negative", condition=Q(amount_pence__gte=0)),
        ]

    def __str__(self):
        return f"{self.region} {self.fund} {self.year}"


class ReleasePolicy(models.Model):
    """Which cycle governs a fund's year and what fraction is released in each state.

    A policy with no governing cycle releases everything; a fund and year with no policy
    releases nothing until one is set (`funding.rules.fraction_for`).
    """

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="policies")
    year = models.ForeignKey(FinancialYear, on_delete=models.PROTECT, related_name="policies")
    governing_cycle = models.ForeignKey(Cycle, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="release_policies")
    fraction_accredited = _fraction_field("Released once accredited.")
    fraction_deferred = _fraction_field("Released while deferred.")
    fraction_undecided = _fraction_field("Released before a decision.")
    updated_at = UpdatedAtField()

    class Meta:
        verbose_name_plural = "release policies"
        ordering = ["fund", "year"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "year"], name="one_policy_per_fund_year"),
        ]

    def __str__(self):
        return f"{self.fund} {self.year} release policy"

    def fractions(self) -> rules.Fractions:
        """The policy's fraction for each funding state, as the pure rule takes them."""
        return rules.Fractions(accredited=self.fraction_accredited,
                               deferred=self.fraction_deferred,
                               undecided=self.fraction_undecided)


class ReleaseOverride(models.Model):
    """A named partnership's own fraction under a policy (say, 10% withheld: 0.9000)."""

    policy = models.ForeignKey(ReleasePolicy, on_delete=models.CASCADE, related_name="overrides")
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="+")
    fraction = _fraction_field("Fraction released to this partnership, whatever its state.")
    reason = models.CharField(max_length=300)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["policy", "partnership"],
                                    name="one_override_per_policy_partnership"),
        ]

    def __str__(self):
        return f"{self.partnership}: {self.fraction}"


class PolicyChange(models.Model):
    """Who changed a release policy, why, and what it was before and after."""

    policy = models.ForeignKey(ReleasePolicy, on_delete=models.PROTECT, related_name="changes")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    changed_at = models.DateTimeField(default=clock.now)
    reason = models.TextField()
    before = models.JSONField()
    after = models.JSONField()

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self):
        return f"{self.policy} changed {self.changed_at:%Y-%m-%d}"


class ReconcileRun(models.Model):
    """One comparison of every allocation's ledger total with the rule."""

    started_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    allocations_checked = models.PositiveIntegerField(default=0)
    drift_count = models.PositiveIntegerField(default=0)
    drift = models.JSONField(default=list, blank=True)
    repaired = models.BooleanField(default=False)
    requested_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"Reconcile {self.started_at:%Y-%m-%d %H:%M}: {self.drift_count} drifting"


class RecomputeRequest(models.Model):
    """The funding outbox: a recompute of one partnership's releases is owed.

    Written in the same transaction as its cause (an accreditation event, a policy change, an
    allocation import) by `funding.outbox.recompute_request`, so the debt survives a broker
    outage; the worker settles it (`funding.ledger.recompute_request_settle`).
    """

    class Cause(models.TextChoices):
        EVENT = "event", "Accreditation event"
        POLICY_CHANGE = "policy_change", "Release policy change"
        ALLOCATION_CHANGE = "allocation_change", "Allocation change"
        MANUAL = "manual", "Recompute requested by an administrator"

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="recompute_requests"
    )
    cause = models.CharField(max_length=30, choices=Cause.choices)
    cause_id = models.BigIntegerField(null=True, blank=True)
    requested_at = models.DateTimeField(default=clock.now, db_index=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["requested_at"]
        indexes = [
            models.Index(
                fields=["requested_at"], condition=Q(completed_at__isnull=True),
                name="recompute_owed_idx",
            ),
        ]

    def __str__(self):
        state = "done" if self.completed_at else "owed"
        return f"Recompute {self.partnership} ({self.get_cause_display()} {self.cause_id}, {state})"


class ReleaseEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError("Release entries are append-only: they cannot be updated.")

    def delete(self):
        raise ValidationError("Release entries are append-only: they cannot be deleted.")


class ReleaseEntry(models.Model):
    """One signed movement of released money, in pence. Rows are only ever added."""

    class Cause(models.TextChoices):
        EVENT = "event", "Accreditation event"
        POLICY_CHANGE = "policy_change", "Release policy change"
        ALLOCATION_CHANGE = "allocation_change", "Allocation change"
        REPAIR = "repair", "Reconciliation repair"
        MANUAL = "manual", "Recompute by an administrator"
        INITIAL = "initial", "Initial release"

    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="entries")
    amount_pence = models.BigIntegerField(help_text="Positive releases money, negative claws back.")
    target_pence = models.BigIntegerField(help_text="The released total this entry brought it to.")
    allocation_pence = models.BigIntegerField(
        help_text="The allocation when the entry was posted, so held can be shown as it was then."
    )
    fraction = models.DecimalField(max_digits=5, decimal_places=4)
    funding_state = models.CharField(max_length=20)
    cause = models.CharField(max_length=30, choices=Cause.choices)
    event = models.ForeignKey(AccreditationEvent, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="release_entries")
    policy_change = models.ForeignKey(PolicyChange, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="release_entries")
    reconcile_run = models.ForeignKey(ReconcileRun, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="release_entries")
    request = models.ForeignKey(RecomputeRequest, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="release_entries")
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True,
                                      help_text="When it was recorded.")
    effective_on = models.DateField(
        default=clock.today,
        help_text="The date it takes effect: its decision's date, its policy change's or "
                  "import's date, otherwise the day it was recorded (a repair, a recompute).",
    )

    objects = ReleaseEntryQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "release entries"
        indexes = [
            # The position as at a date: an allocation's entries effective on or before it
            # (funding.selectors.allocation_figures, reporting.dashboard); amount_pence is read
            # from the index itself on PostgreSQL.
            models.Index(fields=["allocation", "effective_on"], include=["amount_pence"],
                         name="releaseentry_as_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(name="release_entry_not_zero", condition=~Q(amount_pence=0)),
        ]

    def __str__(self):
        return f"{self.allocation}: {self.amount_pence:+d}p ({self.get_cause_display()})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError("Release entries are append-only: they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Release entries are append-only: they cannot be deleted.")


class FiguresVersion(models.Model):
    """One row whose `version` changes whenever a committed transaction changed anything the
    national dashboard's regional figures or the published decisions are computed from:
    allocations, the ledger, funding states and review dates, names and regions of partnerships
    and authorities, cycles, sources. PostgreSQL triggers write it (migration 0005), at commit,
    with a number from a sequence, so a rolled-back transaction never reuses one. Both pages key
    what they cache on it (`reporting.figures_cache.figures_cached`, ADR 0011)."""

    version = models.BigIntegerField()
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = "figures version"

    def __str__(self):
        return f"Figures version {self.version} ({self.changed_at:%Y-%m-%d %H:%M:%S})"
