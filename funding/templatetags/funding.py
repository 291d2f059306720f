"""`{% load funding %}`: release fractions as people read them."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def percent(fraction) -> str:
    """A fraction as a percentage without spurious zeros: Decimal("0.6700") -> "67%",
    Decimal("0.675") -> "67.5%". Nothing for a missing value."""
    if fraction is None or fraction == "":
        return ""
    value = (Decimal(fraction) * 100).normalize()
    return f"{value:f}%"
