"""A test world built once per test process and restored per test from its rows.

Many test modules start each test from the same small world, built through the factories and
the real services (tests/reporting/dashboard_world.py, tests/security/world.py, ...): a tenth
of a second or more each time, hundreds of times a run. `restored(build)` builds it once per
test process and hands every test the same rows and a fresh copy of what `build()` returned:

- **The first time** (per process, per arguments, date and starting database): `build()` runs
  inside the test's transaction, in a savepoint. Every row it added is read back, table by
  table, with every file it wrote under MEDIA_ROOT, the mail it sent to the test backend (a
  builder that runs its commit hooks, inside `captureOnCommitCallbacks(execute=True)`, sends
  the outbox's mail) and a copy (pickled) of what it returned; then the savepoint is rolled
  back, so the commit hooks it left registered are dropped, as they are at the end of a test.
- **Every time** (the first included, so that every test sees the same thing): the rows are
  inserted in one savepoint (foreign keys are checked at commit, so order does not matter;
  PostgreSQL's id sequences are moved past them), the files are written under this test's
  MEDIA_ROOT, the mail is put in `mail.outbox` again, the figures cache and the kept training
  date are forgotten, and the caller gets a new copy of the returned objects (model instances
  as they were when `build()` returned).

What makes the rows depend on more than the builder is part of the key, so a different world
is built rather than a wrong one restored: the service's today (and the real date), whether it
is a training service, and the rows already in the database (each table's count and highest
id, read in one query: rows a test created before asking for the world, or ids moved by a
flush). The builder's arguments are part of the key; anything else it depends on (a setting)
is passed as `key`. A builder is a module-level function (a closure's captured values could not
be told apart).

Outside a test's own transaction (a `transactional_db` test, whose commits run hooks and
tasks), `restored` just builds. A builder that changes rows that were there before it is
refused with a RuntimeError: restoring would leave that out.

Rows restored carry the timestamps of the first build (a few seconds or minutes earlier in the
same run), as rows built by an earlier fixture would. tests/demo_snapshot.py uses the same
reading and inserting for the February 2002 demo, built outside any transaction and shared by
the xdist workers. docs/adr/0026-test-worlds-restored-from-their-rows.md.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from django.apps import apps
from django.conf import settings
from django.core import mail
from django.core.cache import caches
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from core import clock

T = TypeVar("T")

# Kept by the database's own triggers (funding migration 0005), never by a builder: the version
# a commit stamps. Whatever it holds, the next commit moves it on.
TRIGGER_KEPT = {"funding_figuresversion"}


@dataclass
class TableRows:
    table: str
    columns: list[str]
    rows: list[tuple]


def all_tables() -> list[tuple[str, list[str], str]]:
    """Every table of an installed model (many-to-many tables included): name, columns, key."""
    seen, found = set(), []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in seen:
            continue
        seen.add(meta.db_table)
        found.append((meta.db_table, [f.column for f in meta.concrete_fields], meta.pk.column))
    return found


def read_rows(tables) -> dict[str, dict]:
    """Every row of every table, keyed by its primary key."""
    quote = connection.ops.quote_name
    contents = {}
    with connection.cursor() as cursor:
        for table, columns, pk in tables:
            cursor.execute(f"SELECT {', '.join(map(quote, columns))} FROM {quote(table)}")  # noqa: S608
            at = columns.index(pk)
            # A binary column (psycopg2 reads it as a memoryview, which can be neither pickled
            # nor hashed) is kept as bytes.
            contents[table] = {row[at]: tuple(bytes(value) if isinstance(value, memoryview)
                                              else value for value in row)
                               for row in cursor.fetchall()}
    return contents


def rows_added(tables, before: dict[str, dict], after: dict[str, dict],
               what: str) -> list[TableRows]:
    """The rows in `after` that were not in `before`, by table; refuses a change to a row that
    was there before (`what` names the builder in the message)."""
    added = []
    for table, columns, _ in tables:
        if table in TRIGGER_KEPT:
            continue
        old, new = before[table], after[table]
        changed = [key for key, row in old.items() if new.get(key) != row]
        if changed:
            raise RuntimeError(f"{what} changed or removed rows of {table} that were there "
                               f"before it ({changed[:5]}); a snapshot only adds rows")
        rows = [row for key, row in new.items() if key not in old]
        if rows:
            added.append(TableRows(table, columns, rows))
    return added


def sequence_resets(parts: list[TableRows]) -> list[str]:
    """PostgreSQL: statements that move each table's id sequence past the restored rows."""
    if connection.vendor != "postgresql":
        return []
    by_table = {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}
    return connection.ops.sequence_reset_sql(no_style(), [by_table[t.table] for t in parts])


def _batch_size(columns: int) -> int:
    # SQLite allows 999 parameters a statement in its oldest builds; PostgreSQL has no such limit
    # for psycopg2's client-side parameters, but large statements gain nothing.
    limit = 999 if connection.vendor == "sqlite" else 20_000
    return max(1, min(500, limit // columns))


def rows_insert(parts: list[TableRows], resets: list[str]) -> None:
    """Insert the rows in one transaction (foreign keys are checked at its end, so the order of
    the tables does not matter), then run the sequence resets."""
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        for part in parts:
            names = ", ".join(map(quote, part.columns))
            one = "(" + ", ".join(["%s"] * len(part.columns)) + ")"
            size = _batch_size(len(part.columns))
            for start in range(0, len(part.rows), size):
                rows = part.rows[start:start + size]
                cursor.execute(
                    f"INSERT INTO {quote(part.table)} ({names}) VALUES "  # noqa: S608
                    + ", ".join([one] * len(rows)),
                    [value for row in rows for value in row])
        for statement in resets:
            cursor.execute(statement)


def forget_cached() -> None:
    """What a process keeps between requests that rows restored behind its back could make
    wrong: the figures cache and the kept training date."""
    caches["figures"].clear()
    clock.forget()


# --- Per test process ----------------------------------------------------------------------------


@dataclass
class Built:
    """What one build added: rows by table, files under MEDIA_ROOT, and the result, pickled."""

    tables: list[TableRows]
    resets: list[str]
    result: bytes
    files: dict[str, bytes] = field(default_factory=dict)
    mails: list = field(default_factory=list)  # sent to the test mail backend (mail.outbox)


_built: dict[tuple, Built] = {}


def in_test_transaction() -> bool:
    """Whether the connection is inside a test's own transaction (a `django_db` test), which
    is rolled back at its end and never commits."""
    blocks = connection.atomic_blocks
    return bool(blocks) and getattr(blocks[0], "_from_testcase", False)


def _signature(tables) -> tuple:
    """Each table's row count and highest id, in one query."""
    quote = connection.ops.quote_name
    parts = [f"SELECT {n}, COUNT(*), CAST(MAX({quote(pk)}) AS TEXT) FROM {quote(table)}"  # noqa: S608
             for n, (table, _, pk) in enumerate(tables)]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return tuple(sorted((n, count, str(top)) for n, count, top in cursor.fetchall()))


def _files() -> dict[str, float]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return {}
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def _outbox() -> list:
    return getattr(mail, "outbox", [])


def _build(build: Callable[[], object], what: str, tables) -> Built:
    before, files_before, mails_before = read_rows(tables), _files(), len(_outbox())
    with transaction.atomic():
        result = build()
        after = read_rows(tables)
        pickled = pickle.dumps(result)
        transaction.set_rollback(True)
    mails = _outbox()[mails_before:]
    del _outbox()[mails_before:]  # restored below, as every later test gets them
    root = Path(settings.MEDIA_ROOT)
    files = {name: (root / name).read_bytes() for name, stamp in _files().items()
             if files_before.get(name) != stamp}
    parts = rows_added(tables, before, after, what)
    return Built(tables=parts, resets=sequence_resets(parts), result=pickled, files=files,
                 mails=mails)


def restored(build: Callable[..., T], *args, key: tuple = ()) -> T:
    """What `build(*args)` returns, with the rows it adds in this test's database: built once
    per test process and restored afterwards (module docstring). The arguments (hashable, and
    no model instances: they would be rows of this test) are part of the key, with `key`,
    which names anything else the build depends on (a setting)."""
    if getattr(build, "__closure__", None) or "<" in build.__qualname__:
        raise TypeError("restored() takes a module-level function; pass what it depends on "
                        "as arguments, not in a closure")
    if not in_test_transaction():
        return build(*args)
    what = f"{build.__module__}.{build.__qualname__}"
    tables = all_tables()
    full_key = (what, args, key, clock.training(), clock.today(), timezone.localdate(),
                _signature(tables))
    built = _built.get(full_key)
    if built is None:
        built = _built[full_key] = _build(lambda: build(*args), what, tables)
    rows_insert(built.tables, built.resets)
    root = Path(settings.MEDIA_ROOT)
    for name, content in built.files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    if built.mails:
        _outbox().extend(copy.deepcopy(message) for message in built.mails)
    forget_cached()
    return pickle.loads(built.result)  # noqa: S301 (pickled by this process)
