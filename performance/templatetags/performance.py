"""`{% load performance %}`: values of targets as people read them."""

from django import template

from performance import rules

register = template.Library()


@register.filter
def value(number):
    """12.50 -> 12.5, 1250 -> 1,250: at most two decimal places, no trailing zeros."""
    if number is None or number == "":
        return ""
    return rules.number_text(number)
