"""`manage.py releases_recompute` and `manage.py releases_reconcile`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from funding.ledger import ledger_changes_announced_once, releases_recompute
from funding.models import RecomputeRequest, ReconcileRun, ReleaseEntry
from funding.signals import ledger_changed

from .conftest import WALSALL_2002_PENCE, make_scenario
from .test_services import _insert_bogus_entry

pytestmark = pytest.mark.django_db


def _call(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _ledger_total() -> int:
    return ReleaseEntry.objects.aggregate(t=Sum("amount_pence"))["t"] or 0


def test_recompute_all_brings_every_partnership_to_the_rule_and_reports_progress(db):
    scenarios = [make_scenario(name=f"Town{n}") for n in range(5)]
    scenarios[0].defer()
    out, err = _call("releases_recompute", "--all", "--batch-size", "2")
    assert "Recomputed 5 partnerships: 6 entries posted" in out
    assert "5/5 partnerships (100%" in err
    assert _ledger_total() == (
        WALSALL_2002_PENCE * 67 // 100 + sum(s.nrf_2001.amount_pence for s in scenarios)
    )
    assert not RecomputeRequest.objects.filter(completed_at=None).exists()
    assert set(ReleaseEntry.objects.values_list("cause", flat=True)) == {"manual"}


def test_recompute_all_can_be_run_again_after_an_interruption(db):
    """Whatever was done before stopping is kept; a rerun posts only what is missing."""
    scenarios = [make_scenario(name=f"Town{n}") for n in range(4)]
    for s in scenarios:
        s.defer(s.assessment())
    _call("releases_recompute", "--partnership", "town0", "--partnership", "town1")
    first = ReleaseEntry.objects.count()
    out, _ = _call("releases_recompute", "--all")
    assert "4 entries posted" in out
    assert ReleaseEntry.objects.count() == first + 4
    out, _ = _call("releases_recompute", "--all")
    assert "0 entries posted" in out


def test_recompute_refuses_an_unknown_partnership(db):
    with pytest.raises(CommandError, match="No partnership with slug nowhere"):
        _call("releases_recompute", "--partnership", "nowhere")


def test_recompute_needs_all_or_a_partnership(db):
    with pytest.raises(CommandError):
        _call("releases_recompute")


def test_reconcile_reports_no_drift_and_succeeds(walsall):
    _call("releases_recompute", "--all")
    out, _ = _call("releases_reconcile")
    assert "2 allocations checked" in out
    assert "No drift" in out


def test_reconcile_fails_on_drift_and_repairs_with_repair(walsall):
    _call("releases_recompute", "--all")
    _insert_bogus_entry(walsall.nrf_2001, -500)
    with pytest.raises(CommandError, match=r"Drift found in 1 partnerships\. Run with --repair"):
        _call("releases_reconcile")
    assert not ReleaseEntry.objects.filter(cause="repair").exists()

    out, _ = _call("releases_reconcile", "--repair")
    assert "Walsall LSP [walsall]" in out
    assert "NRF 2001/02" in out and "drift -500p" in out
    run = ReconcileRun.objects.latest("started_at")
    assert run.repaired and run.requested_by.endswith("--repair")
    assert ReleaseEntry.objects.get(cause="repair").reconcile_run == run
    _, _ = _call("releases_reconcile")  # clean again: no CommandError


def test_recompute_all_announces_the_ledgers_growth_once_for_the_whole_run(db):
    """Each batch is its own transaction; the figures warm-up listens for `ledger_changed`, and
    ran once per batch when each batch announced itself."""
    scenarios = [make_scenario(name=f"Town{n}") for n in range(5)]
    scenarios[0].defer()
    heard = []

    def listen(sender, allocation_ids, **kwargs):
        heard.append(sorted(allocation_ids))

    ledger_changed.connect(listen)
    try:
        _call("releases_recompute", "--all", "--batch-size", "2")
    finally:
        ledger_changed.disconnect(listen)
    assert heard == [sorted(ReleaseEntry.objects.values_list("allocation_id", flat=True))]
    assert len(heard[0]) == 6  # every town's 2001/02, and the deferred town's 2002/03 (three batches)


def test_a_run_that_fails_still_announces_what_its_committed_batches_grew(db):
    first, second = make_scenario(name="Town0"), make_scenario(name="Town1")
    heard = []

    def listen(sender, allocation_ids, **kwargs):
        heard.append(sorted(allocation_ids))

    ledger_changed.connect(listen)
    try:
        with pytest.raises(RuntimeError), ledger_changes_announced_once():
            releases_recompute(partnership=first.partnership)
            releases_recompute(partnership=second.partnership)
            assert heard == []  # held back until the run ends
            raise RuntimeError("the third batch failed")
    finally:
        ledger_changed.disconnect(listen)
    assert heard == [sorted([first.nrf_2001.pk, second.nrf_2001.pk])]
