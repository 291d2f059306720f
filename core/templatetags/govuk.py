"""Template helpers for GOV.UK Frontend markup: `{% load govuk %}`."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from core import clock
from core.money import pounds
from core.registry import navigation_for, tag_colour

register = template.Library()


@register.filter
def money(pence, digits: str = ""):
    """Whole pence as pounds: `{{ amount|money }}` -> £1,234,567; `{{ amount|money:"pence" }}`
    always shows the pence. Nothing for a missing amount."""
    if pence is None or pence == "":
        return ""
    return pounds(pence, pence_digits=digits == "pence")


@register.filter
def days_to_go(day):
    """How far a date is from the clock's today: `{{ review_date|days_to_go }}` -> 'in 27 days'.
    Nothing for a missing date."""
    if not day:
        return ""
    return clock.days_phrase(day)


@register.simple_tag
def govuk_tag(value, label=None):
    """`{% govuk_tag assessment.status assessment.get_status_display %}`: a GOV.UK tag whose
    colour follows the value, as the app that owns the value registered it
    (`core.registry.tag_colours_register`). The text always carries the meaning; colour only
    supports it."""
    colour = tag_colour(value)
    css = f"govuk-tag govuk-tag--{colour}" if colour else "govuk-tag"
    return format_html('<strong class="{}">{}</strong>', css, label if label is not None else value)


@register.simple_tag(takes_context=True)
def service_navigation_items(context) -> list[dict]:
    """The service navigation for the signed-in user, with the current page marked: the entries
    the apps registered (`core.registry.navigation_register`) that this user may see."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    items = []
    for entry in navigation_for(user):
        href = reverse(entry.url_name)
        current = request.path == href
        items.append({
            "text": entry.text,
            "href": href,
            "current": current,
            "active": not current and href != "/" and request.path.startswith(href),
        })
    return items
