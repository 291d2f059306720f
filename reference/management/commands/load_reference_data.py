from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reference.common import DATA_DIR, ReferenceDataError
from reference.loader import reference_load


class Command(BaseCommand):
    help = (
        "Load the nine Government Office regions, the 88 NRF areas and their partnerships, the "
        "sources, funds, financial years, NRF allocations and CEF regional budgets. All or "
        "nothing; running it again changes nothing. An NRF figure set by an NRU import is "
        "kept as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--directory", type=Path, default=DATA_DIR,
            help=f"Folder holding the reference CSV files (default: {DATA_DIR}).",
        )

    def handle(self, *args, directory: Path, **options):
        try:
            summary = reference_load(directory=directory)
        except ReferenceDataError as exc:
            raise CommandError(exc.message) from exc
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Reference data loaded."))
