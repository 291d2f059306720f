"""Template helpers of the NRU dashboard and the published decisions: `{% load nru_dashboard %}`."""

import hashlib

from django import template
from django.core.cache import caches
from django.utils.safestring import mark_safe

from reporting.exports import STATUS_LABELS

register = template.Library()


@register.filter
def status_label(value) -> str:
    """A funding state as words: "deferred" -> "Deferred"; no cycle -> "No accreditation cycle"."""
    return STATUS_LABELS.get(value or "", str(value))


@register.tag
def rendered_once_for(parser, token):
    """`{% rendered_once_for rows %}…{% end_rendered_once_for %}`: the enclosed markup, rendered
    with nothing but `rows` in its context and kept in the figures cache under a digest of
    `rows` (its plain values), so that the same rows are rendered once per process whatever
    asks for them (docs/adr/0024-figures-warmed-after-commit.md). The markup can only depend on
    what its key names: anything else it refers to renders as empty, never as stale."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one variable")
    nodelist = parser.parse(("end_rendered_once_for",))
    parser.delete_first_token()
    return RenderedOnceNode(bits[1], parser.compile_filter(bits[1]), nodelist)


class RenderedOnceNode(template.Node):
    def __init__(self, name: str, value, nodelist):
        self.name, self.value, self.nodelist = name, value, nodelist

    def render(self, context):
        value = self.value.resolve(context)
        digest = hashlib.blake2b(repr(value).encode(), digest_size=16).hexdigest()
        key = f"fragment:{self.origin.name if self.origin else ''}:{self.name}:{digest}"
        cache = caches["figures"]
        markup = cache.get(key)
        if markup is None:
            markup = self.nodelist.render(context.new({self.name: value}))
            cache.set(key, markup)
        return mark_safe(markup)  # noqa: S308 - rendered by the template engine, escaped there
