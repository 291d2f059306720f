"""The service's one clock: every rule that depends on "today" asks here.

Domain code never calls `date.today()` or `timezone.now()` itself (tests/core/test_clock_lint.py
fails naming the line), so that a training or demonstration deployment can run on a stored date
that every process agrees on (docs/adr/0017-training-clock.md):

- with `settings.TRAINING_CLOCK` off (production), `today()` is the real date in the service's
  time zone and `now()` the real moment;
- with it on, `today()` is the date stored in the database (`core.models.TrainingDate`, one row,
  moved only forward by `core.training.training_date_move`), read by the web processes, the
  Celery worker and beat alike; `now()` is that date at the real time of day. Until a date is
  stored, the real date is used.

The stored date is read at most once per request (`ClockMiddleware` forgets it as each request
starts), once per Celery task, and otherwise at most every `TRAINING_CLOCK_CACHE_SECONDS`.

`held_at(moment)` makes `now()` and `today()` answer `moment` inside a block, for code that records
history on its own dates (the demo loader) and for tests. `real_now()` is the wall clock, for the
few records whose time is the real one whatever the service's date (when the training date was
moved).
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

from django.apps import apps
from django.conf import settings
from django.utils import timezone

_held: ContextVar[datetime | None] = ContextVar("core_clock_held", default=None)
# (when it was read, by time.monotonic(); the stored date or None)
_stored: tuple[float, date | None] | None = None


def real_now() -> datetime:
    """The wall clock (timezone-aware), whatever the service's date."""
    return timezone.now()


def training() -> bool:
    """Whether this deployment runs on a stored training date."""
    return bool(getattr(settings, "TRAINING_CLOCK", False))


def training_date() -> date | None:
    """The stored training date, or None when none is stored (or the training clock is off)."""
    global _stored
    if not training():
        return None
    moment = time.monotonic()
    if _stored is not None and moment - _stored[0] < settings.TRAINING_CLOCK_CACHE_SECONDS:
        return _stored[1]
    # Looked up, not imported: the models take their defaults from this module.
    TrainingDate = apps.get_model("core", "TrainingDate")

    if not _table_exists(TrainingDate._meta.db_table):
        return None  # not migrated yet (a model's default asked, during `migrate` or a check)
    value = TrainingDate.objects.filter(pk=TrainingDate.ONLY).values_list("today", flat=True).first()
    _stored = (moment, value)
    return value


_table_seen = False


def _table_exists(table: str) -> bool:
    """Whether the training date's table exists; once it does, it is not asked again."""
    global _table_seen
    if not _table_seen:
        from django.db import DatabaseError, connection

        try:
            _table_seen = table in connection.introspection.table_names()
        except DatabaseError:  # no database to ask (a system check run without one)
            return False
    return _table_seen


def forget() -> None:
    """Read the stored training date again next time (a request or task starts; it was moved)."""
    global _stored
    _stored = None


def now() -> datetime:
    """The current moment (timezone-aware) on the service's clock."""
    held = _held.get()
    if held is not None:
        return held
    real = timezone.now()
    stored = training_date()
    if stored is None:
        return real
    time_of_day = timezone.localtime(real).time()
    return timezone.make_aware(datetime.combine(stored, time_of_day))


def today() -> date:
    """The service's today, in the service's time zone."""
    held = _held.get()
    if held is not None:
        return timezone.localdate(held)
    stored = training_date()
    if stored is not None:
        return stored
    return timezone.localdate(timezone.now())


def days_phrase(day: date, *, since: date | None = None) -> str:
    """How far `day` is from today (or `since`), in words: 'today', 'tomorrow', 'in 27 days',
    'yesterday', '3 days ago'."""
    days = (day - (since or today())).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {days} days" if days > 0 else f"{-days} days ago"


@contextmanager
def held_at(moment: datetime) -> Iterator[datetime]:
    """Inside the block, `now()` is `moment` and `today()` its date, in this thread of work only
    (a context variable): what the block records is dated then."""
    if timezone.is_naive(moment):
        raise ValueError("held_at needs a timezone-aware moment")
    token = _held.set(moment)
    try:
        yield moment
    finally:
        _held.reset(token)


class ClockMiddleware:
    """Each request reads the stored training date afresh (once), so a move made by one process
    is seen by the next request of every other."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        forget()
        return self.get_response(request)
