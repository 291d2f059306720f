"""Recompute released money for every partnership, or named ones, from the current state.

Each batch of partnerships is its own transaction and the recompute only appends differences,
so the command can be interrupted at any point and simply run again.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from funding.basis import policies_by_fund_year
from funding.ledger import ledger_changes_announced_once, releases_recompute_many
from funding.models import Allocation, ReleaseEntry
from partnerships.models import Partnership


class Progress:
    """One updating line on stderr (a command's OutputWrapper): no dependency; when stderr is
    not a terminal, only the final line is written."""

    def __init__(self, total: int, stream, *, every: float = 0.5):
        self.total, self.stream, self.every = total, stream, every
        self.done = 0
        self.started = self.shown = time.monotonic()
        self.tty = stream.isatty()

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.done >= self.total or now - self.shown >= self.every:
            self.shown = now
            self._show(now, end="\r" if self.tty and self.done < self.total else "\n")

    def _show(self, now: float, *, end: str) -> None:
        if not self.tty and self.done < self.total:
            return
        elapsed = now - self.started
        pct = 100 * self.done / self.total if self.total else 100
        width = 30
        filled = int(width * self.done / self.total) if self.total else width
        rate = self.done / elapsed if elapsed else 0
        self.stream.write(
            f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} partnerships "
            f"({pct:.0f}%, {rate:.0f}/s){end}",
            ending="",
        )
        self.stream.flush()


class Command(BaseCommand):
    help = "Bring released money to what the release rule says now (only differences are posted)."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="Every partnership with an allocation.")
        which.add_argument("--partnership", action="append", metavar="SLUG",
                           help="A partnership's slug; repeat for more.")
        parser.add_argument("--batch-size", type=int, default=100,
                            help="Partnerships per transaction (default 100).")
        parser.add_argument("--note", default="", help="Recorded on every entry posted.")

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        if options["all"]:
            ids = list(
                Allocation.objects.order_by("partnership_id")
                .values_list("partnership_id", flat=True).distinct()
            )
        else:
            slugs = options["partnership"]
            found = dict(Partnership.objects.filter(slug__in=slugs).values_list("slug", "pk"))
            missing = [s for s in slugs if s not in found]
            if missing:
                raise CommandError(f"No partnership with slug {', '.join(missing)}.")
            ids = sorted(found.values())

        policies = policies_by_fund_year()
        progress = Progress(len(ids), self.stderr)
        posted = moved = 0
        size = options["batch_size"]
        # One announcement of the ledger's growth for the whole run, not one per batch.
        with ledger_changes_announced_once():
            for start in range(0, len(ids), size):
                batch = ids[start:start + size]
                entries = releases_recompute_many(
                    partnership_ids=batch, cause=ReleaseEntry.Cause.MANUAL, note=options["note"],
                    policies=policies,
                )
                posted += len(entries)
                moved += sum(e.amount_pence for e in entries)
                progress.advance(len(batch))
        self.stdout.write(
            f"Recomputed {len(ids)} partnerships: {posted} entries posted, net {moved:+d}p."
        )
