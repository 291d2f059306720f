"""Template helpers for GOV.UK Frontend markup: `{% load govuk %}`."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from core.money import pounds
from partnerships.selectors import user_roles

register = template.Library()

# The service navigation: (text, URL name, roles that see it; None means every signed-in user).
# Add an entry here when a role gets a page of its own.
SERVICE_NAVIGATION: list[tuple[str, str, tuple[str, ...] | None]] = [
    ("Home", "core:home", None),
    ("Your partnership", "accreditation:home", ("lsp_officer", "lsp_chair")),
    ("Review queue", "review:queue", ("go_reviewer",)),
    ("National dashboard", "dashboard:dashboard-show", ("nru_analyst", "nru_admin")),
    ("Targets", "performance:home",
     ("lsp_officer", "lsp_chair", "go_reviewer", "nru_analyst", "nru_admin")),
    ("Release policies", "funding:releasepolicy-list", ("nru_admin",)),
]

# Colours follow the GOV.UK tag guidance: grey for not started, blue for in progress,
# green for done, orange / red for something that needs attention.
TAG_COLOURS = {
    # accreditation status and funding state
    "draft": "grey",
    "submitted": "blue",
    "under_review": "light-blue",
    "accredited": "green",
    "accredited_with_concerns": "turquoise",
    "deferred": "orange",
    "response_received": "blue",
    "returned": "purple",
    "undecided": "grey",
    # the reviewer's queue
    "not_started": "grey",
    "review_due": "red",
    # self-ratings and the Government Office's view
    "red": "red",
    "amber": "yellow",
    "green": "green",
    "agree": "blue",
    # provenance of a figure
    "published": "green",
    "derived": "blue",
    "illustrative": "yellow",
    # stakeholder views
    "supports": "green",
    "concerns": "orange",
}


@register.filter
def money(pence, digits: str = ""):
    """Whole pence as pounds: `{{ amount|money }}` -> £1,234,567; `{{ amount|money:"pence" }}`
    always shows the pence. Nothing for a missing amount."""
    if pence is None or pence == "":
        return ""
    return pounds(pence, pence_digits=digits == "pence")


@register.simple_tag
def govuk_tag(value, label=None):
    """`{% govuk_tag assessment.status assessment.get_status_display %}`: a GOV.UK tag whose
    colour follows the value. The text always carries the meaning; colour only supports it."""
    colour = TAG_COLOURS.get(str(value))
    css = f"govuk-tag govuk-tag--{colour}" if colour else "govuk-tag"
    return format_html('<strong class="{}">{}</strong>', css, label if label is not None else value)


@register.simple_tag(takes_context=True)
def service_navigation_items(context) -> list[dict]:
    """The service navigation for the signed-in user, with the current page marked."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    roles = user_roles(user)
    items = []
    for text, url_name, allowed in SERVICE_NAVIGATION:
        if allowed is not None and not roles.intersection(allowed):
            continue
        href = reverse(url_name)
        current = request.path == href
        items.append({
            "text": text,
            "href": href,
            "current": current,
            "active": not current and href != "/" and request.path.startswith(href),
        })
    return items
