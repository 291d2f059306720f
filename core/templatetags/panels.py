"""`{% load panels %}`: render the panels the apps registered for a slot (core/registry.py).

    {% panels "partnerships.member_list.back" partnership=partnership %}

Each panel's include template sees the page's context and its own context as `panel`.
"""

from django import template
from django.template.loader import get_template
from django.utils.safestring import SafeString

from core.registry import panels_for

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context, slot: str, **page) -> SafeString:
    html = SafeString("")
    request = context.get("request")
    if request is None:
        return html
    for item in panels_for(slot, request, **page):
        with context.push(panel=item["context"]):
            html += get_template(item["template"]).template.render(context)
    return html
