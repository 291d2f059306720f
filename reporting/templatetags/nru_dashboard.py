"""Template helpers of the NRU dashboard and the published decisions: `{% load nru_dashboard %}`."""

from django import template

from reporting.exports import STATUS_LABELS

register = template.Library()


@register.filter
def status_label(value) -> str:
    """A funding state as words: "deferred" -> "Deferred"; no cycle -> "No accreditation cycle"."""
    return STATUS_LABELS.get(value or "", str(value))
