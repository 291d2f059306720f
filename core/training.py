"""The training date's writes: set it once, then move it only forward (docs/adr/0017-training-clock.md).

Core knows no roles: who may move it is decided by the page that calls these (reporting's, for NRU
administrators); a loader passes `by=None` with its own label.
"""

from datetime import date

from django.db import transaction

from . import clock
from .errors import ApplicationError
from .models import TrainingDate, TrainingDateMove


def _long(day: date) -> str:
    return f"{day:%-d %B %Y}"


def _refuse_unless_training() -> None:
    if not clock.training():
        raise ApplicationError("This service runs on the real date: it has no training date to move.")


def _record(*, from_date: date | None, to: date, by, by_label: str) -> TrainingDateMove:
    TrainingDate.objects.update_or_create(pk=TrainingDate.ONLY, defaults={"today": to})
    move = TrainingDateMove.objects.create(
        from_date=from_date, to_date=to, by=by, by_label=by_label or (str(by) if by else "system"),
    )
    clock.forget()
    transaction.on_commit(clock.forget)
    return move


@transaction.atomic
def training_date_move(*, to: date, by=None, by_label: str = "") -> TrainingDateMove:
    """Move the training date forward to `to`. The same date or an earlier one is refused and
    nothing changes. With no date stored yet, it moves forward from the real date."""
    _refuse_unless_training()
    stored = TrainingDate.objects.select_for_update().filter(pk=TrainingDate.ONLY).first()
    current = stored.today if stored else clock.today()
    if to <= current:
        raise ApplicationError(
            f"The new date must be after {_long(current)}: the training date only moves forward."
        )
    return _record(from_date=stored.today if stored else None, to=to, by=by, by_label=by_label)


@transaction.atomic
def training_date_start(*, on: date, by=None, by_label: str = "") -> TrainingDateMove | None:
    """Set the training date to `on` if none is stored yet (any date, earlier than the real one
    too), or move it forward to `on` if the stored one is earlier. Otherwise leave it: returns
    None. For a loader that needs the service's today to be at least `on`."""
    _refuse_unless_training()
    stored = TrainingDate.objects.select_for_update().filter(pk=TrainingDate.ONLY).first()
    if stored is not None and stored.today >= on:
        return None
    return _record(from_date=stored.today if stored else None, to=on, by=by, by_label=by_label)
