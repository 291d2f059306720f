"""The announcements' migrations (reporting 0001, 0002): they create the record's tables and, on
PostgreSQL, the triggers that keep it as announced and move the figures version when a decision
or an announcement is written; they can be undone, and done again on a database with decisions
in it."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.conftest import uses_postgresql

from .dashboard_world import build_world

TABLES = {"reporting_announcement", "reporting_announceddecision"}
TRIGGERS = {
    ("reporting_announcement", "reporting_announcement_kept"),
    ("reporting_announceddecision", "reporting_announceddecision_kept"),
    ("accreditation_decision", "accreditation_decision_figures_any"),
    ("reporting_announcement", "reporting_announcement_figures_any"),
    ("reporting_announceddecision", "reporting_announceddecision_figures_any"),
}


def _migrate(targets):
    executor = MigrationExecutor(connection)
    if targets is None:
        targets = executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()


def _triggers() -> set[tuple[str, str]]:
    if not uses_postgresql():
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname, t.tgname FROM pg_trigger t "
                       "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal")
        return {row for row in cursor.fetchall() if row in TRIGGERS}


@pytest.mark.django_db(transaction=True)
def test_the_migrations_go_forwards_and_back_with_decisions_in_the_database():
    world = build_world()
    try:
        _migrate([("reporting", None)])
        assert not TABLES & set(connection.introspection.table_names())
        assert _triggers() == set()

        _migrate(None)
        assert set(connection.introspection.table_names()) >= TABLES
        assert _triggers() == (TRIGGERS if uses_postgresql() else set())
    finally:
        _migrate(None)

    from reporting.announcements import announcement_get_or_take

    announcement = announcement_get_or_take(cycle=world["cycle"], today=dt.date(2002, 3, 1))
    assert (announcement.accredited, announcement.deferred, announcement.undecided) == (2, 1, 2)
