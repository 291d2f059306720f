"""Who sees which targets, a partnership's progress summary, and the national counts by theme
and region checked against a count made here, independently, in Python."""

import random
from collections import Counter
from decimal import Decimal

import pytest

from performance.models import ProgressReturn, Target, Theme
from performance.selectors import (
    NO_RETURN,
    counts_by_region,
    counts_by_theme,
    national_counts,
    partnership_standings,
    progress_summary,
    progress_summary_for_requirement,
    return_years,
    returns_visible_to,
    targets_visible_to,
)
from tests.factories import (
    CycleFactory,
    PartnershipFactory,
    RegionFactory,
    RoleAssignmentFactory,
    UserFactory,
)
from tests.performance.factories import ProgressReturnFactory, TargetFactory
from tests.row_snapshot import restored

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def two_regions():
    """Two partnerships in the West Midlands, one in the North West, a target each."""
    west, north = RegionFactory(name="West Midlands"), RegionFactory(name="North West")
    walsall = PartnershipFactory(local_authority__name="Walsall", local_authority__region=west)
    sandwell = PartnershipFactory(local_authority__name="Sandwell", local_authority__region=west)
    knowsley = PartnershipFactory(local_authority__name="Knowsley", local_authority__region=north)
    targets = {p.local_authority.name: TargetFactory(partnership=p) for p in (walsall, sandwell, knowsley)}
    for target in targets.values():
        ProgressReturnFactory(target=target, year=2002)
    return {"west": west, "north": north, "walsall": walsall, "sandwell": sandwell,
            "knowsley": knowsley, "targets": targets}


def _titles(queryset) -> set[str]:
    return {t.partnership.local_authority.name for t in queryset}


@pytest.mark.parametrize(("who", "sees"), [
    ("officer", {"Walsall"}),
    ("chair", {"Walsall"}),
    ("reviewer", {"Walsall", "Sandwell"}),
    ("analyst", {"Walsall", "Sandwell", "Knowsley"}),
    ("admin", {"Walsall", "Sandwell", "Knowsley"}),
    ("nobody", set()),
])
def test_targets_visible_to_each_role(two_regions, who, sees):
    if who in ("officer", "chair"):
        user = RoleAssignmentFactory(**{who: True}, partnership=two_regions["walsall"]).user
    elif who == "reviewer":
        user = RoleAssignmentFactory(reviewer=True, region=two_regions["west"]).user
    elif who == "nobody":
        user = UserFactory()
    else:
        user = RoleAssignmentFactory(**{who: True}).user
    assert _titles(targets_visible_to(user)) == sees
    assert {r.target.partnership.local_authority.name for r in returns_visible_to(user)} == sees


def test_progress_summary_takes_each_targets_latest_return_up_to_a_year():
    partnership = PartnershipFactory()
    behind = TargetFactory(partnership=partnership, title="Burglary")       # 40 -> 30 by 2005/06
    ProgressReturnFactory(target=behind, year=2002, actual=D("37.5"))      # on the line: green
    ProgressReturnFactory(target=behind, year=2003, actual=D("39"))        # 4 behind: red
    TargetFactory(partnership=partnership, title="Attainment", theme=Theme.EDUCATION)
    TargetFactory(title="Someone else's")

    latest = progress_summary(partnership=partnership)
    assert [(r.target.title, r.standing) for r in latest.rows] == [
        ("Burglary", "red"), ("Attainment", NO_RETURN)]
    assert latest.counts == {"green": 0, "amber": 0, "red": 1, NO_RETURN: 1}

    earlier = progress_summary(partnership=partnership, as_at=2002)
    assert [(r.target.title, r.standing, r.latest.year if r.latest else None) for r in earlier.rows] == [
        ("Burglary", "green", 2002), ("Attainment", NO_RETURN, None)]
    assert earlier.as_at_label == "2002/03"


def test_the_summary_belongs_to_the_common_priorities_requirement_only():
    cycle = CycleFactory(year_start=2003, requirements=4)
    partnership = PartnershipFactory()
    target = TargetFactory(partnership=partnership)
    ProgressReturnFactory(target=target, year=2003, actual=D("35"))
    ProgressReturnFactory(target=target, year=2004, actual=D("39"))
    r3, r2 = cycle.requirements.get(code="R3"), cycle.requirements.get(code="R2")

    summary = progress_summary_for_requirement(requirement=r3, partnership=partnership)
    assert summary.as_at == 2003
    assert [(row.latest.year, row.standing) for row in summary.rows] == [(2003, "green")]
    assert progress_summary_for_requirement(requirement=r2, partnership=partnership) is None


def test_partnership_standings_counts_each_visible_partnership(two_regions):
    walsall = two_regions["walsall"]
    ProgressReturnFactory(target=TargetFactory(partnership=walsall), year=2003, actual=D("40"))
    TargetFactory(partnership=walsall)
    reviewer = RoleAssignmentFactory(reviewer=True, region=two_regions["west"]).user
    rows = {r["partnership"].local_authority.name: r for r in partnership_standings(reviewer)}
    assert set(rows) == {"Walsall", "Sandwell"}
    assert {k: rows["Walsall"][k] for k in ("green", "amber", "red", "none", "total")} == {
        "green": 1, "amber": 0, "red": 1, "none": 1, "total": 3}
    assert rows["Sandwell"]["total"] == 1


# --- national counts --------------------------------------------------------------------------


def _random_world(seed: int) -> None:
    """Five regions, a dozen partnerships, 64 targets over every theme, with 0-4 returns each
    (actual values anywhere from far behind to beyond the target)."""
    rng = random.Random(seed)
    regions = [RegionFactory(name=f"Region {n}") for n in range(5)]
    partnerships = [PartnershipFactory(local_authority__region=rng.choice(regions)) for _ in range(12)]
    for n in range(60):
        baseline = D(rng.randint(10, 90))
        target = baseline + D(rng.choice([-1, 1]) * rng.randint(1, 9))
        start = rng.randint(1998, 2002)
        t = TargetFactory(partnership=rng.choice(partnerships), theme=rng.choice(Theme.values),
                          title=f"Target {n}", unit="number", baseline_value=baseline,
                          target_value=target, baseline_year=start, target_year=start + rng.randint(2, 6))
        for year in rng.sample(t.return_years(), k=min(len(t.return_years()), rng.randint(0, 4))):
            step = D(rng.randint(-30, 30)) / 20 * (target - baseline)
            ProgressReturnFactory(target=t, year=year, actual=max(D(0), baseline + step))
    # And one of each standing for sure (burglaries 40 -> 30, 2001/02 to 2005/06; 2003/04 expects 35).
    for n, actual in enumerate([D("35"), D("35.8"), D("37"), None]):
        t = TargetFactory(partnership=rng.choice(partnerships), title=f"Fixed {n}")
        if actual is not None:
            ProgressReturnFactory(target=t, year=2003, actual=actual)


def _independent_counts(as_at=None) -> Counter:
    """(theme, region name, standing) -> number of targets, from plain Python over the rows."""
    counted = Counter()
    for target in Target.objects.select_related("partnership__local_authority__region"):
        returns = [r for r in ProgressReturn.objects.filter(target=target)
                   if as_at is None or r.year <= as_at]
        if returns:
            latest = max(returns, key=lambda r: r.year)
            # And the stored judgement is the rule's.
            assert latest.rag == latest.judgement().rag
            standing = latest.rag
        else:
            standing = NO_RETURN
        counted[target.theme, target.partnership.local_authority.region.name, standing] += 1
    return counted


@pytest.mark.parametrize("as_at", [None, 2001, 2003])
@pytest.mark.parametrize("seed", [1, 2])
def test_national_counts_match_an_independent_count(seed, as_at):
    restored(_random_world, seed)  # built once per seed and test process (tests/row_snapshot.py)
    analyst = RoleAssignmentFactory(analyst=True).user

    cells = national_counts(analyst, as_at=as_at)

    expected = _independent_counts(as_at)
    if as_at is None:  # the world is varied enough to test something
        assert {standing for _, _, standing in expected} == {"green", "amber", "red", NO_RETURN}
    got = Counter({(c.theme, c.region.name, s): n for c in cells for s, n in c.counts.items() if n})
    assert got == expected
    assert sum(expected.values()) == Target.objects.count() == sum(c.total for c in cells)
    # One cell for every theme and region, zeros included.
    assert len(cells) == len(Theme.values) * 5
    assert len({(c.theme, c.region.pk) for c in cells}) == len(cells)


def test_national_counts_are_a_few_queries_whatever_the_size(django_assert_max_num_queries):
    _random_world(3)
    analyst = RoleAssignmentFactory(analyst=True).user
    with django_assert_max_num_queries(3):
        national_counts(analyst)


def test_region_and_theme_totals_add_up_the_cells():
    _random_world(4)
    cells = national_counts(RoleAssignmentFactory(analyst=True).user)
    by_region = counts_by_region(cells)
    by_theme = counts_by_theme(cells)
    assert sum(r["total"] for r in by_region) == sum(r["total"] for r in by_theme) == 64
    crime = {r["label"]: r for r in counts_by_region(cells, theme="crime")}
    for region in crime:
        assert crime[region]["red"] == sum(
            c.counts["red"] for c in cells if c.theme == "crime" and c.region.name == region)
    assert [r["label"] for r in by_theme] == [label for _, label in Theme.choices]


def test_national_counts_are_for_nru_only(two_regions):
    reviewer = RoleAssignmentFactory(reviewer=True, region=two_regions["west"]).user
    officer = RoleAssignmentFactory(officer=True, partnership=two_regions["walsall"]).user
    assert national_counts(reviewer) == []
    assert national_counts(officer) == []


def test_return_years_are_the_visible_ones_newest_first(two_regions):
    ProgressReturnFactory(target=TargetFactory(partnership=two_regions["knowsley"]), year=2004,
                          actual=D("34"))
    officer = RoleAssignmentFactory(officer=True, partnership=two_regions["walsall"]).user
    analyst = RoleAssignmentFactory(analyst=True).user
    assert return_years(officer) == [2002]
    assert return_years(analyst) == [2004, 2002]
