from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from reference.common import DATA_DIR
from reference.demo import demo_load


class Command(BaseCommand):
    help = (
        "Build the February 2002 reference scenario on top of the reference data: the 2002/03 "
        "cycle, the NRF 2002/03 release policy, demo users (password DEMO_PASSWORD), members, "
        "87 partnerships accredited and Walsall deferred. Refuses to run with DEBUG off unless "
        "--force. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true",
            help="Run even though DEBUG is off (the demo users share one known password).",
        )
        parser.add_argument(
            "--directory", type=Path, default=DATA_DIR,
            help=f"Folder holding the reference CSV files (default: {DATA_DIR}).",
        )

    def handle(self, *args, force: bool, directory: Path, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "load_demo refuses to run while DEBUG is off: it creates users who all share the "
                "known DEMO_PASSWORD. Set DEBUG=1 for a development or demo site, or pass --force "
                "if you really mean to load the demo here."
            )
        try:
            summary = demo_load(password=settings.DEMO_PASSWORD, directory=directory)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(
            "Demo loaded. Sign in as officer@walsall.lsp.example, chair@walsall.lsp.example, "
            "reviewer@west-midlands.go.example, analyst@nru.example or admin@nru.example."
        ))
