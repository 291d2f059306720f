"""The trajectory judgement (performance.rules): expected values by straight line, direction
from the target, already-met targets, the amber tolerance and its boundaries."""

from collections import Counter
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from performance.rules import AMBER, DOWN, GREEN, RED, UP, Trajectory, judge, number_text, year_label

D = Decimal

# Employment rate up from 50% in 2001/02 to 60% by 2005/06: 2.5 points a year; amber allows 1.
EMPLOYMENT = Trajectory(baseline=D("50"), baseline_year=2001, target=D("60"), target_year=2005)
# Burglaries down from 40 per 1,000 in 2001/02 to 30 by 2005/06: 2.5 fewer a year; amber allows 1.
BURGLARY = Trajectory(baseline=D("40"), baseline_year=2001, target=D("30"), target_year=2005)


def test_direction_follows_the_target():
    assert EMPLOYMENT.direction == UP
    assert BURGLARY.direction == DOWN


@pytest.mark.parametrize(("year", "expected"), [
    (2000, Fraction(50)),           # before the baseline: the baseline
    (2001, Fraction(50)),
    (2002, Fraction(105, 2)),       # 52.5
    (2003, Fraction(55)),
    (2005, Fraction(60)),
    (2008, Fraction(60)),           # after the target year: the target
])
def test_expected_value_is_a_straight_line_held_at_both_ends(year, expected):
    assert EMPLOYMENT.expected(year) == expected


def test_expected_value_is_exact_for_thirds():
    third = Trajectory(baseline=D("10"), baseline_year=2001, target=D("11"), target_year=2004)
    assert third.expected(2002) == Fraction(31, 3)


INCREASING = {
    # actual for 2003/04 (expected 55, tolerance 1)
    "ahead of the line": (D("56"), GREEN),
    "exactly on the line": (D("55"), GREEN),
    "just behind the line": (D("54.99"), AMBER),
    "exactly the tolerance behind": (D("54"), AMBER),
    "just beyond the tolerance": (D("53.99"), RED),
    "back at the baseline": (D("50"), RED),
    "worse than the baseline": (D("45"), RED),
    "target already met": (D("60"), GREEN),
    "target beaten": (D("64.5"), GREEN),
}


@pytest.mark.parametrize(("actual", "rag"), INCREASING.values(), ids=INCREASING.keys())
def test_increasing_target(actual, rag):
    assert judge(EMPLOYMENT, year=2003, actual=actual).rag == rag


DECREASING = {
    # burglaries for 2003/04 (expected 35, tolerance 1): fewer is better
    "fewer than expected": (D("33"), GREEN),
    "exactly as expected": (D("35"), GREEN),
    "slightly more than expected": (D("35.5"), AMBER),
    "exactly the tolerance more": (D("36"), AMBER),
    "just beyond the tolerance": (D("36.01"), RED),
    "no fall at all": (D("40"), RED),
    "target already met": (D("30"), GREEN),
    "far below the target": (D("12"), GREEN),
}


@pytest.mark.parametrize(("actual", "rag"), DECREASING.values(), ids=DECREASING.keys())
def test_decreasing_target_such_as_crime(actual, rag):
    assert judge(BURGLARY, year=2003, actual=actual).rag == rag


def test_a_met_target_is_green_even_in_the_first_year_and_says_so():
    judgement = judge(BURGLARY, year=2002, actual=D("29"))
    assert judgement.rag == GREEN
    assert judgement.already_met
    assert "the target has been met" in judgement.steps[-1]


def test_in_the_target_year_the_expected_value_is_the_target():
    assert judge(BURGLARY, year=2005, actual=D("31")).rag == AMBER
    assert judge(BURGLARY, year=2005, actual=D("31.01")).rag == RED
    assert judge(BURGLARY, year=2005, actual=D("30")).rag == GREEN


def test_the_explanation_shows_the_arithmetic():
    judgement = judge(BURGLARY, year=2003, actual=D("35.5"))
    assert judgement.steps == (
        "The target runs from 40 in 2001/02 (baseline) to 30 by 2005/06, so lower is better.",
        "On a straight line, 2003/04 is 2 of the 4 years from baseline to target, so the expected "
        "value is 40 − 10 × 2/4 = 35.",
        "The actual value, 35.5, is 0.5 higher than expected. Up to 1 is allowed before a target is "
        "off track (10% of the 10 between baseline and target).",
        "So it is at risk (amber).",
    )
    assert judgement.label == "at risk"
    assert judgement.shortfall == Fraction(1, 2)
    assert judgement.tolerance == 1


def test_the_explanation_says_about_when_the_expected_value_is_rounded():
    third = Trajectory(baseline=D("10"), baseline_year=2001, target=D("11"), target_year=2004)
    judgement = judge(third, year=2002, actual=D("10.5"))
    assert "= about 10.33." in judgement.steps[1]
    assert judgement.rag == GREEN
    assert "0.17 higher than expected" in judgement.steps[2]


def test_off_track_explanation():
    judgement = judge(EMPLOYMENT, year=2004, actual=D("52"))
    assert judgement.rag == RED
    assert judgement.steps[-1] == "That is more than 1, so it is off track (red)."
    assert "5.5 lower than expected" in judgement.steps[2]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"baseline": D("5"), "baseline_year": 2003, "target": D("6"), "target_year": 2003}, "after"),
    ({"baseline": D("5"), "baseline_year": 2001, "target": D("5.00"), "target_year": 2003}, "differ"),
])
def test_a_trajectory_needs_a_later_target_year_and_a_different_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Trajectory(**kwargs)


def test_floats_are_refused():
    with pytest.raises(TypeError):
        judge(EMPLOYMENT, year=2003, actual=55.0)


@pytest.mark.parametrize(("value", "text"), [
    (D("87.50"), "87.5"), (D("1250"), "1,250"), (D("0.00"), "0"), (Fraction(1, 3), "0.33"),
    (D("1234567.891"), "1,234,567.89"), (D("0.005"), "0.01"),
])
def test_number_text(value, text):
    assert number_text(value) == text


def test_year_label():
    assert year_label(2002) == "2002/03"
    assert year_label(1999) == "1999/00"


# --- properties -----------------------------------------------------------------------------

values = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)
ORDER = {RED: 0, AMBER: 1, GREEN: 2}


@st.composite
def trajectories(draw):
    baseline = draw(values)
    target = draw(values.filter(lambda v: v != baseline))
    start = draw(st.integers(min_value=1995, max_value=2010))
    end = draw(st.integers(min_value=start + 1, max_value=start + 10))
    return Trajectory(baseline=baseline, baseline_year=start, target=target, target_year=end)


@given(trajectories(), st.data())
def test_mirroring_a_target_mirrors_nothing_in_the_judgement(trajectory, data):
    """A decreasing target is judged exactly like the increasing one reflected around zero."""
    year = data.draw(st.integers(min_value=trajectory.baseline_year, max_value=trajectory.target_year))
    actual = data.draw(values)
    mirrored = Trajectory(baseline=-trajectory.baseline, baseline_year=trajectory.baseline_year,
                          target=-trajectory.target, target_year=trajectory.target_year)
    assert judge(trajectory, year=year, actual=actual).rag == judge(mirrored, year=year,
                                                                    actual=-actual).rag


@given(trajectories(), st.data())
def test_a_better_actual_never_gets_a_worse_judgement(trajectory, data):
    year = data.draw(st.integers(min_value=trajectory.baseline_year, max_value=trajectory.target_year))
    a, b = data.draw(values), data.draw(values)
    worse, better = (a, b) if trajectory.better_by(b, a) >= 0 else (b, a)
    assert ORDER[judge(trajectory, year=year, actual=better).rag] >= ORDER[
        judge(trajectory, year=year, actual=worse).rag]


@st.composite
def trajectories_and_years(draw):
    trajectory = draw(trajectories())
    return trajectory, draw(st.integers(min_value=trajectory.baseline_year,
                                        max_value=trajectory.target_year))


def test_on_the_line_is_green_and_the_baseline_after_the_first_years_is_not():
    happened = Counter()

    @given(trajectories_and_years())
    @example((EMPLOYMENT, 2003))  # a whole expected value (55), half the way due
    def check(trajectory_and_year):
        trajectory, year = trajectory_and_year
        expected = trajectory.expected(year)
        assert judge(trajectory, year=year, actual=Decimal(expected.numerator) / Decimal(
            expected.denominator)).rag in (GREEN, AMBER)  # a repeating decimal may fall behind
        if expected.denominator == 1:
            assert judge(trajectory, year=year, actual=Decimal(expected.numerator)).rag == GREEN
            happened["a whole expected value is green"] += 1
            event("whole expected value")
        # Standing still at the baseline is off track once more than a tenth of the way is due.
        if Fraction(year - trajectory.baseline_year,
                    trajectory.target_year - trajectory.baseline_year) > Fraction(1, 10):
            assert judge(trajectory, year=year, actual=trajectory.baseline).rag == RED
            happened["the baseline is red once a tenth is due"] += 1
            event("baseline due to have moved")

    check()
    # Both conditional checks were made, not only the first.
    assert happened["a whole expected value is green"] > 0, happened
    assert happened["the baseline is red once a tenth is due"] > 0, happened
