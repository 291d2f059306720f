"""The release rule is exact, pure arithmetic: properties over the whole range of amounts."""

import ast
import inspect
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funding import rules

amounts = st.integers(min_value=0, max_value=10**13)
fractions = st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n).scaleb(-4))


@given(amount=amounts, fraction=fractions)
def test_released_is_within_the_allocation(amount, fraction):
    released = rules.target_released(amount, fraction)
    assert 0 <= released <= amount
    assert isinstance(released, int)


@given(amount=amounts, fraction=fractions)
def test_released_is_the_fraction_rounded_down_to_the_penny(amount, fraction):
    released = rules.target_released(amount, fraction)
    exact = Decimal(amount) * fraction  # exact: 18 significant digits at most
    assert released <= exact < released + 1


@given(amount=amounts, a=fractions, b=fractions)
def test_released_never_falls_when_the_fraction_rises(amount, a, b):
    low, high = sorted((a, b))
    assert rules.target_released(amount, low) <= rules.target_released(amount, high)


@given(amount=amounts)
def test_the_ends_of_the_range(amount):
    assert rules.target_released(amount, Decimal(0)) == 0
    assert rules.target_released(amount, Decimal(1)) == amount


def test_walsall_deferred_keeps_67_percent_rounded_down():
    # £3,830,000.00 at 67% is exactly £2,566,100.00; one penny more shows the rounding.
    assert rules.target_released(383_000_000, Decimal("0.67")) == 256_610_000
    assert rules.target_released(383_000_001, Decimal("0.67")) == 256_610_000


def test_huge_amounts_do_not_lose_precision():
    # Beyond the default Decimal context's 28 digits the rule is still exact.
    amount = 10**40 + 7
    assert rules.target_released(amount, Decimal("0.3333")) == amount * 3333 // 10_000


@pytest.mark.parametrize(
    ("state", "expected"),
    [(rules.ACCREDITED, Decimal("1")), (rules.DEFERRED, Decimal("0.67")),
     (rules.UNDECIDED, Decimal("0"))],
)
def test_fraction_for_each_state(state, expected):
    fractions = rules.Fractions(accredited=Decimal("1"), deferred=Decimal("0.67"),
                                undecided=Decimal("0"))
    assert rules.fraction_for(state, fractions) == expected


def test_a_policy_with_no_governing_cycle_releases_everything():
    fractions = rules.Fractions(Decimal("1"), Decimal("0.67"), Decimal("0"))
    for state in rules.STATES:
        assert rules.fraction_for(state, fractions, governed=False) == rules.WHOLE == 1


def test_no_policy_releases_nothing():
    """A new year's allocations imported before its policy exists are not paid out in full."""
    for state in rules.STATES:
        assert rules.fraction_for(state, None) == rules.NOTHING == 0
        assert rules.fraction_for(state, None, governed=False) == 0


def test_an_override_wins_whatever_the_state():
    fractions = rules.Fractions(Decimal("1"), Decimal("0.67"), Decimal("0"))
    assert rules.fraction_for(rules.ACCREDITED, fractions, override=Decimal("0.9")) == Decimal("0.9")
    assert rules.fraction_for(rules.UNDECIDED, None, override=Decimal("0.9")) == Decimal("0.9")


@pytest.mark.parametrize("bad", [0.5, 1, "0.5"])
def test_a_fraction_must_be_a_decimal(bad):
    with pytest.raises(TypeError):
        rules.target_released(100, bad)


@pytest.mark.parametrize("bad", [Decimal("-0.0001"), Decimal("1.0001"), Decimal("NaN"),
                                 Decimal("Infinity")])
def test_a_fraction_must_be_between_0_and_1(bad):
    with pytest.raises(ValueError, match="between 0 and 1"):
        rules.target_released(100, bad)


@pytest.mark.parametrize("bad", [100.0, True, "100"])
def test_money_is_an_int_never_a_float(bad):
    with pytest.raises(TypeError):
        rules.target_released(bad, Decimal("0.5"))


def test_a_negative_allocation_is_refused():
    with pytest.raises(ValueError, match="negative"):
        rules.target_released(-1, Decimal("0.5"))


def test_unknown_state_is_refused():
    fractions = rules.Fractions(Decimal("1"), Decimal("0.67"), Decimal("0"))
    with pytest.raises(ValueError, match="unknown funding state"):
        rules.fraction_for("withdrawn", fractions)


def test_rules_module_imports_nothing_from_django_or_the_apps():
    tree = ast.parse(inspect.getsource(rules))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import in rules.py"
            imported.add(node.module.split(".")[0])
    assert imported <= {"dataclasses", "decimal"}, imported
