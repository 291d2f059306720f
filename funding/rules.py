"""The release rule: how much of an allocation is released, as pure arithmetic.

No Django and no project imports, so the rule can be read, tested and reasoned about on its own
(tests/test_architecture.py keeps it so). Amounts are whole pence (int); fractions are exact
`Decimal`s from policy data; `funding.basis` applies it to policies and funding states.
"""

from dataclasses import dataclass
from decimal import Decimal

UNDECIDED = "undecided"
ACCREDITED = "accredited"
DEFERRED = "deferred"
STATES = (UNDECIDED, ACCREDITED, DEFERRED)

#: What a fund and year whose policy names no governing cycle releases: everything.
WHOLE = Decimal(1)
#: What a fund and year with no release policy yet releases: nothing, until one is set (a new
#: year's allocations imported before its policy exists are not paid out in full).
NOTHING = Decimal(0)


@dataclass(frozen=True)
class Fractions:
    """A release policy's fraction for each funding state."""

    accredited: Decimal
    deferred: Decimal
    undecided: Decimal

    def __post_init__(self) -> None:
        for name in ("accredited", "deferred", "undecided"):
            check_fraction(getattr(self, name), name=name)

    def for_state(self, state: str) -> Decimal:
        if state not in STATES:
            raise ValueError(f"unknown funding state {state!r}")
        fraction: Decimal = getattr(self, state)
        return fraction


def check_fraction(fraction: Decimal, *, name: str = "fraction") -> Decimal:
    if not isinstance(fraction, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(fraction).__name__}")
    if not fraction.is_finite() or not (0 <= fraction <= 1):
        raise ValueError(f"{name} must be between 0 and 1, not {fraction}")
    return fraction


def _check_pence(amount: int) -> int:
    # bool is an int subclass; a float is never money.
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError(f"an amount in pence must be an int, not {type(amount).__name__}")
    if amount < 0:
        raise ValueError(f"an allocation cannot be negative ({amount}p)")
    return amount


def fraction_for(
    state: str,
    fractions: Fractions | None,
    *,
    governed: bool = True,
    override: Decimal | None = None,
) -> Decimal:
    """The fraction released for an allocation.

    A named partnership's override wins whatever its state; otherwise a fund and year with no
    policy (`fractions` is None) releases nothing, a policy with no governing cycle (`governed`
    False) everything, and a governed one its fraction for the governing cycle's funding state.
    """
    if override is not None:
        return check_fraction(override, name="override")
    if fractions is None:
        return NOTHING
    if not governed:
        return WHOLE
    return fractions.for_state(state)


def target_released(allocation_pence: int, fraction: Decimal) -> int:
    """The fraction of the allocation, rounded down to the whole penny, computed exactly.

    Integer arithmetic on the fraction's exact ratio: no Decimal context precision to run out of,
    whatever the size of the allocation.
    """
    _check_pence(allocation_pence)
    numerator, denominator = check_fraction(fraction).as_integer_ratio()
    return allocation_pence * numerator // denominator

