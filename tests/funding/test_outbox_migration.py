"""The outbox moved from partnerships to funding (funding 0007, partnerships 0002) without losing a
row: ids, states, the ledger's foreign key to them and the partial index of owed requests survive
the move, and it can be undone."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("funding", "0006_allocation_imported_at"), ("partnerships", "0001_initial")]
LATEST = None  # every app at its latest migration


def _migrate(targets):
    executor = MigrationExecutor(connection)
    if targets is LATEST:
        targets = executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _tables() -> set[str]:
    return set(connection.introspection.table_names())


def _requests(model) -> list[tuple]:
    return sorted(model.objects.values_list("id", "partnership_id", "cause", "cause_id",
                                            "completed_at", "attempts"))


@pytest.mark.django_db(transaction=True)
def test_the_outbox_moves_to_funding_with_its_rows():
    try:
        apps = _migrate(BEFORE)
        assert "partnerships_recomputerequest" in _tables()
        assert "funding_recomputerequest" not in _tables()
        region = apps.get_model("partnerships", "Region").objects.create(name="West Midlands",
                                                                         slug="west-midlands")
        authority = apps.get_model("partnerships", "LocalAuthority").objects.create(
            name="Walsall", slug="walsall", region=region)
        partnership = apps.get_model("partnerships", "Partnership").objects.create(
            local_authority=authority, name="Walsall LSP", slug="walsall",
            accountable_body="Walsall Council")
        old = apps.get_model("partnerships", "RecomputeRequest")
        settled = old.objects.create(partnership=partnership, cause="event", cause_id=7,
                                     completed_at=timezone.now(), attempts=2)
        owed = old.objects.create(partnership=partnership, cause="manual")
        fund = apps.get_model("funding", "Fund").objects.create(code="NRF", name="NRF")
        year = apps.get_model("funding", "FinancialYear").objects.create(
            start_year=2002, label="2002/03", starts_on="2002-04-01", ends_on="2003-03-31")
        allocation = apps.get_model("funding", "Allocation").objects.create(
            partnership=partnership, fund=fund, year=year, amount_pence=100,
            provenance="published")
        entry = apps.get_model("funding", "ReleaseEntry").objects.create(
            allocation=allocation, amount_pence=67, target_pence=67, allocation_pence=100,
            fraction="0.6700", funding_state="deferred", cause="event", request=settled)
        before = _requests(old)

        apps = _migrate(LATEST)
        assert "funding_recomputerequest" in _tables()
        assert "partnerships_recomputerequest" not in _tables()
        moved = apps.get_model("funding", "RecomputeRequest")
        assert _requests(moved) == before
        assert list(moved.objects.filter(completed_at__isnull=True)
                    .values_list("pk", flat=True)) == [owed.pk]
        assert apps.get_model("funding", "ReleaseEntry").objects.get(
            pk=entry.pk).request_id == settled.pk
        with connection.cursor() as cursor:
            indexes = connection.introspection.get_constraints(cursor, "funding_recomputerequest")
        assert indexes["recompute_owed_idx"]["columns"] == ["requested_at"]
        # The database itself still refuses to lose a request the ledger names.
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM funding_recomputerequest WHERE id = %s",
                           [settled.pk])
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA foreign_key_check")
                if cursor.fetchall():
                    raise IntegrityError("foreign key check failed")
        assert moved.objects.create(partnership_id=partnership.pk, cause="manual").pk > owed.pk

        apps = _migrate(BEFORE)
        assert "partnerships_recomputerequest" in _tables()
        assert len(_requests(apps.get_model("partnerships", "RecomputeRequest"))) == 3
    finally:
        _migrate(LATEST)
