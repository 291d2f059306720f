"""The service's clock held at a date in a test: `core.clock.today()` answers that date and
`core.clock.now()` noon on it, for code that asks the clock (as every rule must)."""

import datetime as dt
from contextlib import contextmanager

import pytest
from django.utils import timezone

from core import clock


@contextmanager
def service_date(day: dt.date):
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "today", lambda: day)
        patch.setattr(clock, "now", lambda: moment)
        yield day
