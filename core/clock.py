"""The service's one clock: every rule that depends on "today" asks here.

Domain code never calls `date.today()` or `timezone.now()` itself, so that a training or
demonstration deployment can run on a stored date that every process agrees on
(docs/architecture.md, "Time").
"""

from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    """The current moment (timezone-aware)."""
    return timezone.now()


def today() -> date:
    """The service's today, in the service's time zone."""
    return timezone.localdate(now())
