"""Neighbourhood renewal targets of a partnership and its yearly progress returns.

Years are financial years named by the calendar year they start in (2002 = 2002/03), as in
`accreditation.Cycle.year_start`. Values are Decimal with two places, never float.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.models import Source, TimeStampedModel
from partnerships.models import Partnership

from . import rules

VALUE_MAX_DIGITS = 14
VALUE_DECIMAL_PLACES = 2


class Theme(models.TextChoices):
    HEALTH = "health", "Health"
    CRIME = "crime", "Crime"
    EDUCATION = "education", "Education"
    EMPLOYMENT = "employment", "Employment"
    HOUSING = "housing", "Housing"
    LIVEABILITY = "liveability", "Liveability"


class Kind(models.TextChoices):
    FLOOR = "floor", "National floor target"
    LOCAL = "local", "Local target"
    LPSA = "lpsa", "Local PSA stretch target"


class Unit(models.TextChoices):
    PERCENT = "percent", "Per cent (%)"
    PER_1000 = "per_1000", "Rate per 1,000"
    PER_100000 = "per_100000", "Rate per 100,000"
    NUMBER = "number", "Number"
    YEARS = "years", "Years"


class Judgement(models.TextChoices):
    """The trajectory judgement of a progress return (performance.rules)."""

    GREEN = rules.GREEN, "On track"
    AMBER = rules.AMBER, "At risk"
    RED = rules.RED, "Off track"


class FloorTarget(models.Model):
    """One of the national floor targets of the period, offered to partnerships as a list.
    NRU administrators maintain the list (Django admin); a retired one stays on the targets
    that already use it but is no longer offered."""

    theme = models.CharField(max_length=20, choices=Theme.choices)
    wording = models.CharField(max_length=500, unique=True)
    department = models.CharField(max_length=100)
    spending_review = models.CharField(max_length=20, help_text="For example SR2002.")
    wording_status = models.CharField(
        max_length=200, blank=True, help_text="How firmly the wording is sourced."
    )
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    is_current = models.BooleanField(
        "offered to partnerships", default=True,
        help_text="Untick to stop offering it for new targets; targets using it keep it.",
    )

    class Meta:
        ordering = ["theme", "spending_review", "wording"]

    def __str__(self):
        return f"{self.get_theme_display()}: {self.wording}"


class Target(TimeStampedModel):
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="targets")
    theme = models.CharField(max_length=20, choices=Theme.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    floor_target = models.ForeignKey(
        FloorTarget, null=True, blank=True, on_delete=models.PROTECT, related_name="targets"
    )
    title = models.CharField(max_length=200)
    indicator = models.CharField(max_length=300, help_text="What is measured, and how.")
    unit = models.CharField(max_length=20, choices=Unit.choices)
    baseline_value = models.DecimalField(max_digits=VALUE_MAX_DIGITS,
                                         decimal_places=VALUE_DECIMAL_PLACES)
    baseline_year = models.PositiveSmallIntegerField()
    target_value = models.DecimalField(max_digits=VALUE_MAX_DIGITS,
                                       decimal_places=VALUE_DECIMAL_PLACES)
    target_year = models.PositiveSmallIntegerField()
    lead_partner = models.CharField("lead partner organisation", max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["partnership", "theme", "title"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "title"], name="target_title_unique"),
            models.CheckConstraint(name="target_year_after_baseline",
                                   condition=Q(target_year__gt=F("baseline_year"))),
            models.CheckConstraint(name="target_value_differs_from_baseline",
                                   condition=~Q(target_value=F("baseline_value"))),
            models.CheckConstraint(
                name="target_floor_kind_has_floor_target",
                condition=(Q(kind="floor", floor_target__isnull=False)
                           | (~Q(kind="floor") & Q(floor_target__isnull=True))),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def trajectory(self) -> rules.Trajectory:
        return rules.Trajectory(baseline=self.baseline_value, baseline_year=self.baseline_year,
                                target=self.target_value, target_year=self.target_year)

    @property
    def baseline_year_label(self) -> str:
        return rules.year_label(self.baseline_year)

    @property
    def target_year_label(self) -> str:
        return rules.year_label(self.target_year)

    @property
    def better_text(self) -> str:
        return "Higher is better" if self.trajectory.direction == rules.UP else "Lower is better"

    @property
    def return_span_label(self) -> str:
        """The years returns may be given for, as people read them: '2002/03 to 2005/06'."""
        return f"{rules.year_label(self.baseline_year + 1)} to {self.target_year_label}"

    def return_years(self) -> list[int]:
        """The years a progress return may be given for: after the baseline, up to the target."""
        return list(range(self.baseline_year + 1, self.target_year + 1))


class ProgressReturn(TimeStampedModel):
    """The actual value of a target's indicator in one financial year, and its judgement.

    `rag` is computed by performance.rules when the return is saved, and again whenever the
    target's baseline or target changes (services); it is stored so that national counts are
    database aggregates."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="returns")
    year = models.PositiveSmallIntegerField()
    actual = models.DecimalField(max_digits=VALUE_MAX_DIGITS, decimal_places=VALUE_DECIMAL_PLACES)
    rag = models.CharField("judgement", max_length=10, choices=Judgement.choices)
    commentary = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["target", "year"]
        constraints = [
            models.UniqueConstraint(fields=["target", "year"], name="one_return_per_target_year"),
        ]

    def __str__(self):
        return f"{self.target} {self.year_label}"

    @property
    def year_label(self) -> str:
        return rules.year_label(self.year)

    def judgement(self) -> rules.Judgement:
        return rules.judge(self.target.trajectory, year=self.year, actual=self.actual)
