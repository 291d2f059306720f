"""The February 2002 demo for tests, built once per test process and restored per test.

`load_demo` walks 88 partnerships through the real services, which takes about a minute. The
suite runs it once per test process (each pytest-xdist worker), on the process's test database,
as `make run` does: a training service (TRAINING_CLOCK on, so its today is 1 March 2002),
DEBUG on, tasks run in-process after each commit (so every owed recompute is settled and its
ledger entries are dated at the decision, as the worker would date them), and the suite's fast
password hasher. It reads back every row the demo added, table by table (`DemoSnapshot`), then
removes them again, so the database is as it was before.

A test that asks for the `demo` fixture (tests/conftest.py) gets those rows inserted into its own
database, in one transaction (`snapshot_restore`, well under a second): in a test's transaction
that is rolled back (`django_db`), or committed for the live server (`transactional_db`, the
browser tests) and flushed at the end as every such test's data is. Nothing outside the
database is part of the demo; the figures cache and the stored training date are forgotten on
each restore so that nothing read before is served. The rows are read and inserted as the
smaller test worlds' are (tests/row_snapshot.py).
"""

from __future__ import annotations

import fcntl
import pickle
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test import override_settings

from tests.row_snapshot import (
    TRIGGER_KEPT,
    TableRows,
    all_tables,
    forget_cached,
    read_rows,
    rows_added,
    rows_insert,
    sequence_resets,
)

MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class DemoSnapshot:
    """What `load_demo` printed and the rows it added, by table."""

    output: str
    tables: list[TableRows]
    # PostgreSQL: statements that move each table's id sequence past the restored rows.
    sequence_resets: list[str] = field(default_factory=list)

    def rows(self, table: str) -> list[tuple]:
        return next((t.rows for t in self.tables if t.table == table), [])


def _load_demo() -> str:
    """`load_demo` as `make run` runs it, with the suite's hasher; what it printed."""
    from lsp_portal.celery import app

    out = StringIO()
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with override_settings(DEBUG=True, TRAINING_CLOCK=True, PASSWORD_HASHERS=MD5):
            forget_cached()
            call_command("load_demo", stdout=out)
    finally:
        app.conf.task_always_eager = saved
        forget_cached()
    return out.getvalue()


def snapshot_build() -> DemoSnapshot:
    """Run `load_demo` on this process's test database, keep the rows it added and remove them
    again. Needs the database as the tests leave it (no demo in it, no transaction open)."""
    from funding.models import RecomputeRequest
    from partnerships.models import Partnership

    if connection.in_atomic_block:
        raise RuntimeError("the demo snapshot is built outside any transaction; request the "
                           "`demo` fixture, not a module- or session-scoped one inside atomic()")
    if Partnership.objects.exists():
        raise RuntimeError("the test database already holds partnerships (an interrupted run?): "
                           "run the tests again with --create-db")
    tables = all_tables()
    before = read_rows(tables)
    output = _load_demo()
    owed = RecomputeRequest.objects.filter(completed_at__isnull=True).count()
    after = read_rows(tables)
    snapshot = DemoSnapshot(output=output,
                            tables=rows_added(tables, before, after, "load_demo"))
    emptied = [table for table, _, _ in tables if table not in TRIGGER_KEPT and not before[table]]
    added_to = {part.table: [key for key in after[part.table] if key not in before[part.table]]
                for part in snapshot.tables if before[part.table]}
    _remove(emptied, added_to, tables)
    _refuse_references_to_rows_there_before(snapshot, set(emptied))
    if owed:
        raise RuntimeError(f"{owed} recomputes were still owed after load_demo: tasks did not run "
                           "in-process after commit")
    snapshot.sequence_resets = sequence_resets(snapshot.tables)
    return snapshot


def _refuse_references_to_rows_there_before(snapshot: DemoSnapshot, emptied: set[str]) -> None:
    """The demo's rows refer only to each other, so they can be restored into any database of
    the suite (another xdist worker's too), whatever ids its own rows there before have."""
    by_table = {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}
    for part in snapshot.tables:
        for f in by_table[part.table]._meta.concrete_fields:
            target = f.related_model._meta.db_table if f.is_relation else None
            if target is None or target in emptied or target in TRIGGER_KEPT:
                continue
            at = part.columns.index(f.column)
            if any(row[at] is not None for row in part.rows):
                raise RuntimeError(f"{part.table}.{f.column} refers to rows of {target} that were "
                                   "there before the demo; the snapshot cannot be restored "
                                   "elsewhere")


def _remove(emptied: list[str], added_to: dict[str, list], tables) -> None:
    """Back to the rows there were before: the tables that were empty are emptied as the test
    flush does (TRUNCATE on PostgreSQL, which the ledger's append-only trigger allows), and the
    rows added to the others are deleted."""
    quote = connection.ops.quote_name
    pks = {table: pk for table, _, pk in tables}
    with transaction.atomic():
        connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), emptied))
        with connection.cursor() as cursor:
            for table, keys in added_to.items():
                for start in range(0, len(keys), 500):
                    chunk = keys[start:start + 500]
                    cursor.execute(
                        f"DELETE FROM {quote(table)} WHERE {quote(pks[table])} IN "  # noqa: S608
                        f"({', '.join(['%s'] * len(chunk))})", chunk)
    forget_cached()


def snapshot_shared(folder: Path) -> DemoSnapshot:
    """The snapshot built by whichever test process of this run got there first (pytest-xdist
    workers share `folder`, the run's temporary folder), or built here and left for the others:
    the demo is loaded once per run."""
    with open(folder / "demo-snapshot.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        stored = folder / "demo-snapshot.pickle"
        if stored.exists():
            return pickle.loads(stored.read_bytes())  # noqa: S301 (written by this run)
        snapshot = snapshot_build()
        stored.write_bytes(pickle.dumps(snapshot))
        return snapshot


def snapshot_restore(snapshot: DemoSnapshot) -> None:
    """Insert the demo's rows into the database in one transaction (foreign keys are checked
    at its end, so the order of the tables does not matter)."""
    rows_insert(snapshot.tables, snapshot.sequence_resets)
    forget_cached()


def snapshot_read_back(snapshot: DemoSnapshot) -> dict[str, set[tuple]]:
    """The rows of the snapshot's tables as the database holds them now (for its own test)."""
    tables = [t for t in all_tables() if t[0] in {part.table for part in snapshot.tables}]
    return {table: set(rows.values()) for table, rows in read_rows(tables).items()}
