"""The trajectory judgement: is a target on track in a given year? A pure function, no Django.

The rule
--------
A target runs in a straight line from its baseline (value B in year b) to its target (value T in
year t). Years are financial years, named by the calendar year they start in (2002 = 2002/03).

1. Direction. The target says which way is better: higher is better when T > B (employment,
   attainment), lower is better when T < B (crime, infant mortality). T = B has no direction and
   is refused before it gets here.
2. Expected value in year y: E(y) = B + (T - B) x (y - b) / (t - b), held at B before the
   baseline year and at T from the target year on.
3. Judgement of the actual value A reported for year y:
   - green, "target already met": A is at or better than T (A >= T going up, A <= T going down);
   - green, "on track": A is at or better than E(y);
   - amber, "at risk": A is worse than E(y) by no more than the tolerance, which is 10% of the
     distance between baseline and target, |T - B| / 10;
   - red, "off track": A is worse than E(y) by more than the tolerance.
   The boundaries belong to the better judgement: exactly on the line is green, exactly the
   tolerance behind is amber.

Arithmetic is exact (fractions of the Decimal inputs); values are rounded only for display.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

GREEN, AMBER, RED = "green", "amber", "red"
LABELS = {GREEN: "on track", AMBER: "at risk", RED: "off track"}
UP, DOWN = "up", "down"

TOLERANCE = Fraction(1, 10)
DISPLAY_PLACES = 2


def year_label(start_year: int) -> str:
    """2002 -> '2002/03'."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def number_text(value: Decimal | Fraction | int) -> str:
    """A value as people read it: thousands separated, at most two decimal places, no trailing
    zeros (87.5, 1,250, 0.33)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-DISPLAY_PLACES), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{DISPLAY_PLACES}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _exact(value: Decimal | int) -> Fraction:
    if isinstance(value, float):
        raise TypeError("values are Decimal, never float")
    return Fraction(value)


@dataclass(frozen=True)
class Trajectory:
    """A target's straight line from baseline to target."""

    baseline: Decimal
    baseline_year: int
    target: Decimal
    target_year: int

    def __post_init__(self):
        if self.target_year <= self.baseline_year:
            raise ValueError("the target year must be after the baseline year")
        if _exact(self.target) == _exact(self.baseline):
            raise ValueError("the target value must differ from the baseline value")

    @property
    def direction(self) -> str:
        return UP if _exact(self.target) > _exact(self.baseline) else DOWN

    @property
    def distance(self) -> Fraction:
        return abs(_exact(self.target) - _exact(self.baseline))

    def expected(self, year: int) -> Fraction:
        """E(year), exact."""
        if year <= self.baseline_year:
            return _exact(self.baseline)
        if year >= self.target_year:
            return _exact(self.target)
        elapsed = Fraction(year - self.baseline_year, self.target_year - self.baseline_year)
        return _exact(self.baseline) + (_exact(self.target) - _exact(self.baseline)) * elapsed

    def better_by(self, actual: Fraction, reference: Fraction) -> Fraction:
        """How far `actual` is on the good side of `reference` (negative: on the bad side)."""
        return actual - reference if self.direction == UP else reference - actual


@dataclass(frozen=True)
class Judgement:
    rag: str
    expected: Fraction
    already_met: bool
    shortfall: Fraction
    """How far the actual value is behind the expected one (0 when at or ahead of it)."""
    tolerance: Fraction
    steps: tuple[str, ...]
    """How it was computed, in sentences, for people."""

    @property
    def label(self) -> str:
        return LABELS[self.rag]

    @property
    def expected_display(self) -> Decimal:
        return Decimal(self.expected.numerator) / Decimal(self.expected.denominator)


def judge(trajectory: Trajectory, *, year: int, actual: Decimal,
          tolerance: Fraction = TOLERANCE) -> Judgement:
    """Red, amber or green for `actual` reported in `year`, with how it was computed."""
    t = trajectory
    a = _exact(actual)
    expected = t.expected(year)
    allowance = tolerance * t.distance
    ahead = t.better_by(a, expected)
    shortfall = max(-ahead, Fraction(0))
    already_met = t.better_by(a, _exact(t.target)) >= 0

    better = "higher" if t.direction == UP else "lower"
    worse = "lower" if t.direction == UP else "higher"
    steps = [
        f"The target runs from {number_text(t.baseline)} in {year_label(t.baseline_year)} (baseline) "
        f"to {number_text(t.target)} by {year_label(t.target_year)}, so {better} is better.",
        _expected_step(t, year, expected),
    ]
    if already_met:
        rag = GREEN
        steps.append(f"The actual value, {number_text(a)}, is at or better than the target itself "
                     f"({number_text(t.target)}): the target has been met, so it is on track (green).")
    elif shortfall == 0:
        rag = GREEN
        relation = "exactly the expected value" if ahead == 0 else (
            f"{number_text(ahead)} {better} than expected")
        steps.append(f"The actual value, {number_text(a)}, is {relation}, so it is on track (green).")
    else:
        rag = AMBER if shortfall <= allowance else RED
        steps.append(
            f"The actual value, {number_text(a)}, is {number_text(shortfall)} {worse} than expected. "
            f"Up to {number_text(allowance)} is allowed before a target is off track "
            f"({_percent(tolerance)} of the {number_text(t.distance)} between baseline and target)."
        )
        steps.append("So it is at risk (amber)." if rag == AMBER else
                     f"That is more than {number_text(allowance)}, so it is off track (red).")
    return Judgement(rag=rag, expected=expected, already_met=already_met, shortfall=shortfall,
                     tolerance=allowance, steps=tuple(steps))


def _expected_step(t: Trajectory, year: int, expected: Fraction) -> str:
    label = year_label(year)
    if year >= t.target_year:
        return f"By {label} the target year has been reached, so the expected value is the target, " \
               f"{number_text(expected)}."
    if year <= t.baseline_year:
        return f"{label} is not after the baseline year, so the expected value is the baseline, " \
               f"{number_text(expected)}."
    done, span = year - t.baseline_year, t.target_year - t.baseline_year
    change = _exact(t.target) - _exact(t.baseline)
    sign = "+" if change > 0 else "−"
    approx = "" if _is_display_exact(expected) else "about "
    return (f"On a straight line, {label} is {done} of the {span} years from baseline to target, so "
            f"the expected value is {number_text(t.baseline)} {sign} {number_text(abs(change))} × "
            f"{done}/{span} = {approx}{number_text(expected)}.")


def _is_display_exact(value: Fraction) -> bool:
    return (value * 10**DISPLAY_PLACES).denominator == 1


def _percent(fraction: Fraction) -> str:
    return f"{number_text(fraction * 100)}%"
