"""Money is whole pence (int) everywhere; pounds appear only when shown to a person. Shares of
money (release fractions) are exact Decimals, shown as percentages by `percent`."""

from decimal import Decimal


def pounds(pence: int, *, pence_digits: bool = False) -> str:
    """Format whole pence as pounds: 123456789 -> '£1,234,567' (or '£1,234,567.89')."""
    if isinstance(pence, float):
        raise TypeError("money is never a float")
    pence = int(pence)
    sign = "-" if pence < 0 else ""
    whole, frac = divmod(abs(pence), 100)
    text = f"{sign}£{whole:,}"
    if pence_digits or frac:
        text += f".{frac:02d}"
    return text


def pence_from_pounds(value: str | int | Decimal) -> int:
    """Parse an amount in pounds ('1,234.50', '£1234', 1234) into whole pence, exactly."""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    text = str(value).strip().replace(",", "").replace("£", "")
    amount = Decimal(text)
    pence = amount * 100
    if pence != pence.to_integral_value():
        raise ValueError("an amount cannot have fractions of a penny")
    return int(pence)


HUNDRED = Decimal(100)


def percentage(fraction: Decimal) -> Decimal:
    """A fraction as a percentage, exactly and without spurious zeros: 0.6700 -> 67,
    0.675 -> 67.5, 1 -> 100 (not 1E+2, which normalize() alone gives)."""
    if isinstance(fraction, float):
        raise TypeError("a share of money is never a float")
    value = (Decimal(fraction) * HUNDRED).normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def percent(fraction: Decimal) -> str:
    """A fraction as people read it: Decimal("0.6700") -> "67%", Decimal("0.675") -> "67.5%"."""
    return f"{percentage(fraction):f}%"


def apportion(total: int, count: int) -> list[int]:
    """`total` pence in `count` equal shares, whole pence, largest remainder: the first
    `total mod count` shares get the odd pennies."""
    base, extra = divmod(total, count)
    return [base + (1 if i < extra else 0) for i in range(count)]
