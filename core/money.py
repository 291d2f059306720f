"""Money is whole pence (int) everywhere; pounds appear only when shown to a person."""

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
