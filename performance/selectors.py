"""Reads of targets and progress: who may see them, a partnership's progress summary, and the
national counts by theme and region.

A target's standing is the judgement of its latest progress return (optionally as at a year:
the latest return for that year or before); a target with no return yet is counted apart.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery

from partnerships.models import Partnership, Region
from partnerships.selectors import is_national, partnership_scope_q, partnerships_visible_to

from . import rules
from .models import FloorTarget, ProgressReturn, Target, Theme

# The accreditation requirement "Common priorities and targets" is R3 in every cycle so far;
# its pages show the partnership's progress summary.
PRIORITIES_REQUIREMENT_CODE = "R3"

NO_RETURN = "none"
STANDINGS = (rules.GREEN, rules.AMBER, rules.RED, NO_RETURN)
STANDING_LABELS = {rules.GREEN: "On track", rules.AMBER: "At risk", rules.RED: "Off track",
                   NO_RETURN: "No return yet"}


def targets_visible_to(user) -> QuerySet[Target]:
    """Targets of the partnerships the user may see: an officer's or chair's own, a GO
    reviewer's region, every one for NRU."""
    return (Target.objects.filter(partnership_scope_q(user, prefix="partnership__"))
            .select_related("partnership__local_authority__region", "floor_target"))


def returns_visible_to(user) -> QuerySet[ProgressReturn]:
    return (ProgressReturn.objects.filter(partnership_scope_q(user, prefix="target__partnership__"))
            .select_related("target__partnership__local_authority__region"))


def floor_targets_offered(*, keep: FloorTarget | None = None) -> QuerySet[FloorTarget]:
    """The national list as offered for a new target (plus `keep`, a retired one in use)."""
    current = FloorTarget.objects.filter(is_current=True)
    if keep is not None:
        current = current | FloorTarget.objects.filter(pk=keep.pk)
    return current.select_related("source").order_by("theme", "spending_review", "wording")


def _returns_up_to(as_at: int | None) -> QuerySet[ProgressReturn]:
    returns = ProgressReturn.objects.all()
    return returns if as_at is None else returns.filter(year__lte=as_at)


def _latest_rag(as_at: int | None) -> Subquery:
    return Subquery(_returns_up_to(as_at).filter(target=OuterRef("pk"))
                    .order_by("-year").values("rag")[:1])


# --- A partnership's summary ------------------------------------------------------------------


@dataclass
class TargetProgress:
    target: Target
    latest: ProgressReturn | None

    @property
    def standing(self) -> str:
        return self.latest.rag if self.latest else NO_RETURN


@dataclass
class ProgressSummary:
    partnership: Partnership
    as_at: int | None
    rows: list[TargetProgress] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(row.standing for row in self.rows)
        return {standing: counted[standing] for standing in STANDINGS}

    @property
    def as_at_label(self) -> str | None:
        return rules.year_label(self.as_at) if self.as_at is not None else None


def progress_summary(*, partnership: Partnership, as_at: int | None = None) -> ProgressSummary:
    """Each of the partnership's targets with its latest return (for `as_at` or before)."""
    targets = (Target.objects.filter(partnership=partnership).select_related("floor_target")
               .prefetch_related(Prefetch("returns", queryset=_returns_up_to(as_at).order_by("-year"),
                                          to_attr="returns_latest_first"))
               .order_by("theme", "title"))
    rows = [TargetProgress(target=t, latest=t.returns_latest_first[0] if t.returns_latest_first else None)
            for t in targets]
    return ProgressSummary(partnership=partnership, as_at=as_at, rows=rows)


def progress_summary_for_requirement(*, requirement, partnership: Partnership) -> ProgressSummary | None:
    """The summary an accreditation requirement page shows: only on "Common priorities and
    targets", with returns up to the financial year the cycle unlocks (`cycle.year_start`)."""
    if requirement.code != PRIORITIES_REQUIREMENT_CODE:
        return None
    return progress_summary(partnership=partnership, as_at=requirement.cycle.year_start)


# --- Several partnerships, and the nation -----------------------------------------------------


def partnership_standings(user, *, as_at: int | None = None) -> list[dict]:
    """Each partnership the user may see with its targets counted by standing (one query)."""
    counted = (targets_visible_to(user).order_by().annotate(latest_rag=_latest_rag(as_at))
               .values("partnership_id", "latest_rag").annotate(n=Count("pk")))
    by_partnership: dict[int, Counter] = {}
    for row in counted:
        standing = row["latest_rag"] or NO_RETURN
        by_partnership.setdefault(row["partnership_id"], Counter())[standing] += row["n"]
    rows = []
    for partnership in partnerships_visible_to(user):
        counts = by_partnership.get(partnership.pk, Counter())
        rows.append({"partnership": partnership, "total": sum(counts.values()),
                     **{s: counts[s] for s in STANDINGS}})
    return rows


@dataclass(frozen=True)
class Cell:
    theme: str
    region: Region
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def theme_label(self) -> str:
        return Theme(self.theme).label


def national_counts(user, *, as_at: int | None = None) -> list[Cell]:
    """Targets counted by theme x region x standing, in the database; one cell for every theme
    and region, zeros included, themes in their order and regions by name."""
    if not is_national(user):
        return []
    counted = (targets_visible_to(user).order_by().annotate(latest_rag=_latest_rag(as_at))
               .values("theme", "partnership__local_authority__region_id", "latest_rag")
               .annotate(n=Count("pk")))
    tally: dict[tuple[str, int], Counter] = {}
    for row in counted:
        key = (row["theme"], row["partnership__local_authority__region_id"])
        tally.setdefault(key, Counter())[row["latest_rag"] or NO_RETURN] += row["n"]
    cells = []
    regions = list(Region.objects.order_by("name"))
    for theme in Theme.values:
        for region in regions:
            counts = tally.get((theme, region.pk), Counter())
            cells.append(Cell(theme=theme, region=region, counts={s: counts[s] for s in STANDINGS}))
    return cells


def counts_by_region(cells: list[Cell], *, theme: str | None = None) -> list[dict]:
    """The national cells added up per region (for one theme, or all)."""
    return _sum_by(cells, lambda c: c.region.name, theme=theme)


def counts_by_theme(cells: list[Cell]) -> list[dict]:
    return _sum_by(cells, lambda c: c.theme_label)


def _sum_by(cells: list[Cell], key, *, theme: str | None = None) -> list[dict]:
    rows: dict[str, Counter] = {}
    for cell in cells:
        if theme and cell.theme != theme:
            continue
        rows.setdefault(key(cell), Counter()).update(cell.counts)
    return [{"label": label, "total": sum(c.values()), **{s: c[s] for s in STANDINGS}}
            for label, c in rows.items()]


def return_years(user) -> list[int]:
    """The financial years with at least one visible progress return, newest first."""
    return list(returns_visible_to(user).order_by("-year").values_list("year", flat=True).distinct())
