"""Compare every allocation's ledger total with the release rule and report drift, and the
funds and years with allocations but no release policy (nothing of them is released).

Exit status: 0 when the ledger agrees with the rule (or drift was repaired with --repair); 1 when
drift was found and not repaired, so a scheduler or monitor can alert on it. Partnerships with a
recompute still owed are listed but are not drift: the outbox settles them.
"""

from django.core.management.base import BaseCommand, CommandError

from core.money import pounds
from funding.basis import fund_years_without_policy
from funding.ledger import releases_reconcile


class Command(BaseCommand):
    help = "Report (and with --repair, correct) ledger totals that differ from the release rule."

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true",
                            help="Append correcting entries, tied to this reconcile run.")

    def handle(self, *args, **options):
        repair = options["repair"]
        run = releases_reconcile(repair=repair, requested_by="manage.py releases_reconcile"
                                 + (" --repair" if repair else ""))
        self.stdout.write(f"Reconcile run {run.pk}: {run.allocations_checked} allocations checked.")
        for item in run.drift:
            owed = " (recompute owed; left to the outbox)" if item["recompute_owed"] else ""
            self.stdout.write(f"{item['name']} [{item['partnership']}]{owed}")
            for a in item["allocations"]:
                self.stdout.write(
                    f"  {a['fund']} {a['year']}: ledger {pounds(a['ledger_pence'])}, rule "
                    f"{pounds(a['target_pence'])}, drift {a['drift_pence']:+d}p"
                )
        for missing in fund_years_without_policy():
            self.stdout.write(
                f"No release policy yet for {missing.fund} {missing.year}: "
                f"{missing.allocations} allocation{'s' if missing.allocations != 1 else ''} "
                f"({pounds(missing.amount_pence)}), nothing released until an NRU "
                "administrator sets one."
            )
        if not run.drift_count:
            self.stdout.write("No drift: every ledger total matches the rule.")
        elif run.repaired:
            self.stdout.write(f"Repaired {run.drift_count} partnerships; entries tied to run {run.pk}.")
        else:
            raise CommandError(
                f"Drift found in {run.drift_count} partnerships. Run with --repair to correct it."
            )
