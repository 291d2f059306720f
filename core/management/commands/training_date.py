from datetime import date

from django.core.management.base import BaseCommand, CommandError

from core import clock
from core.errors import ApplicationError
from core.training import training_date_move, training_date_start


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"'{text}' is not a date like 2002-03-01") from None


class Command(BaseCommand):
    help = (
        "Print the service's today. In a training service (TRAINING_CLOCK=1): --start DATE sets "
        "the training date when none is set yet (or moves it forward to DATE if it is earlier); "
        "--move-to DATE moves it forward. The date never moves back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", type=_day, metavar="YYYY-MM-DD")
        parser.add_argument("--move-to", type=_day, metavar="YYYY-MM-DD")

    def handle(self, *args, start: date | None, move_to: date | None, **options):
        try:
            if start:
                training_date_start(on=start, by_label="manage.py training_date")
            if move_to:
                training_date_move(to=move_to, by_label="manage.py training_date")
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        where = "a training date" if clock.training() else "the real date"
        self.stdout.write(f"Today in this service is {clock.today():%-d %B %Y} ({where}).")
