"""`{% load funding %}`: release fractions as people read them."""

from django import template

from core.money import percent as percent_text

register = template.Library()


@register.filter
def percent(fraction) -> str:
    """A fraction as a percentage without spurious zeros: Decimal("0.6700") -> "67%",
    Decimal("0.675") -> "67.5%". Nothing for a missing value."""
    if fraction is None or fraction == "":
        return ""
    return percent_text(fraction)
