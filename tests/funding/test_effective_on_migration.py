"""funding 0009 gives every existing ledger entry its effective date, run forwards over the
February 2002 demo: an entry of a decision takes the decision's date, one of a policy change the
change's day, one of an allocation import the import's day, any other the day it was recorded.

On PostgreSQL the ledger is append-only in the database itself (funding 0003): the migration's
one UPDATE must get past that trigger, and the trigger must be back, refusing updates, after it.
"""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core import clock
from core.models import User
from funding.ledger import recompute_request_settle
from funding.models import Allocation, RecomputeRequest, ReleaseEntry, ReleasePolicy
from funding.outbox import recompute_request
from funding.policies import release_policy_change

BEFORE = [("funding", "0009_api_published_totals")]
LATEST = None
MARCH_5, MARCH_9, MARCH_12 = (dt.date(2002, 3, d) for d in (5, 9, 12))


def _migrate(targets):
    executor = MigrationExecutor(connection)
    if targets is LATEST:
        targets = executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def _settle():
    for request_id in RecomputeRequest.objects.filter(completed_at__isnull=True).values_list(
            "pk", flat=True):
        recompute_request_settle(request_id=request_id)


def _every_cause_after_the_demo() -> None:
    """After the demo (decisions of February 2002, every recompute settled): a policy change
    recorded on 5 March, an allocation changed by an import on 9 March whose recompute ran on 12
    March, and a recompute by an administrator on 12 March."""
    admin = User.objects.get(email="admin@nru.example")
    policy = ReleasePolicy.objects.get(fund__code="NRF", year__start_year=2002)
    with clock.held_at(_noon(MARCH_5)):
        release_policy_change(policy=policy, by=admin, reason="Deferred partnerships get half",
                              fraction_deferred=Decimal("0.5000"))
        _settle()
    allocation = Allocation.objects.get(partnership__slug="gateshead", fund__code="NRF",
                                        year__start_year=2002)
    with clock.held_at(_noon(MARCH_9)), transaction.atomic():
        Allocation.objects.filter(pk=allocation.pk).update(amount_pence=allocation.amount_pence + 100)
        recompute_request(partnership=allocation.partnership,
                          cause=RecomputeRequest.Cause.ALLOCATION_CHANGE)
    with clock.held_at(_noon(MARCH_12)):
        _settle()
        Allocation.objects.filter(pk=allocation.pk).update(amount_pence=allocation.amount_pence)
        call_command("releases_recompute", "--all", stdout=StringIO())


def _expected(entry: ReleaseEntry) -> dt.date:
    if entry.event_id:
        return entry.event.decision.decided_on if entry.event.decision_id else (
            timezone.localdate(entry.event.at))
    if entry.policy_change_id:
        return timezone.localdate(entry.policy_change.changed_at)
    if entry.cause == ReleaseEntry.Cause.ALLOCATION_CHANGE and entry.request_id:
        return timezone.localdate(entry.request.requested_at)
    return timezone.localdate(entry.created_at)


@pytest.mark.xdist_group("demo")  # with the other tests of the demo: restored, not built, here
@pytest.mark.django_db(transaction=True)
def test_existing_entries_take_effect_on_their_causes_dates(demo):
    """The demo as `make run` loads it (tests/demo_snapshot.py), committed."""
    try:
        _every_cause_after_the_demo()
        entries = list(ReleaseEntry.objects.select_related(
            "event__decision", "policy_change", "request").order_by("pk"))
        expected = {e.pk: _expected(e) for e in entries}
        causes = {e.cause for e in entries}
        assert {"event", "policy_change", "allocation_change", "manual"} <= causes, causes
        # What the ledger wrote as it went is what the migration must find again.
        assert {e.pk: e.effective_on for e in entries} == expected
        days = set(expected.values())
        assert {MARCH_5, MARCH_9, MARCH_12} <= days
        assert min(days) < dt.date(2002, 3, 1)  # the demo's decisions of February

        _migrate(BEFORE)
        apps = _migrate(LATEST)
        Entry = apps.get_model("funding", "ReleaseEntry")
        assert dict(Entry.objects.values_list("pk", "effective_on")) == expected
        with connection.cursor() as cursor:
            indexes = connection.introspection.get_constraints(cursor, "funding_releaseentry")
        assert indexes["releaseentry_as_at_idx"]["columns"][:2] == ["allocation_id", "effective_on"]
        if connection.vendor == "postgresql":
            # Still append-only in the database itself.
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                    connection.cursor() as cursor:
                cursor.execute("UPDATE funding_releaseentry SET effective_on = '2002-01-01'")
    finally:
        _migrate(LATEST)
