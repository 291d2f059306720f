"""The worker computes the dashboard's costliest figures, and its XLSX export with nothing
chosen, right after a committed change, before any reader asks
(docs/adr/0024-figures-warmed-after-commit.md): the first reader in a process then reads them
instead of aggregating the ledger or writing the workbook, and they are the ledger's figures.

These tests commit for real (transactional database, PostgreSQL): Celery is eager, so the
warm-up runs as soon as the change commits, as the worker would.
"""

import datetime as dt
import io
import os

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accreditation.models import SelfAssessment
from accreditation.services.decisions import assessment_accredit
from core import clock
from funding.models import FiguresVersion, ReleaseEntry
from reporting import dashboard, exports, figures_snapshots
from reporting.figures_snapshots import (
    EXPORT_XLSX,
    figures_snapshot_read,
    figures_snapshots_write,
)
from reporting.figures_warm import EXPORT_LOCK, figures_warm
from reporting.models import FiguresSnapshot
from tests.factories import RoleAssignmentFactory

from .dashboard_world import build_world

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("require_postgresql")]

DASHBOARD = reverse("reporting:dashboard-show")
FIGURES = ("anticipated_pence", "released_pence", "held_pence", "partnership_count",
           "accredited", "deferred", "undecided")


@pytest.fixture
def world(client):
    caches["figures"].clear()
    world = build_world()
    client.force_login(RoleAssignmentFactory(analyst=True).user)
    return world


def _version() -> int:
    return FiguresVersion.objects.get(pk=1).version


def _computed_afresh(scope) -> dict:
    """The regions' figures computed from the tables, bypassing every cache (in a transaction)."""
    with transaction.atomic():
        return {r.slug: tuple(getattr(r, f) for f in FIGURES)
                for r in dashboard.dashboard_regions(scope)}


def _read_in_another_process(client):
    """The dashboard as a web process that has computed nothing since the change reads it."""
    caches["figures"].clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(DASHBOARD)
    assert response.status_code == 200
    return response, [q["sql"] for q in queries.captured_queries]


def _aggregated(sqls: list[str]) -> bool:
    return any("SUM(" in sql.upper() for sql in sqls)


def test_after_a_committed_decision_the_first_reader_reads_the_warmed_figures(client, world):
    """A decision through the real service: its commit and its recompute's commit each warm the
    figures; the next reader runs no aggregate, and its figures are the ledger's."""
    reviewer = RoleAssignmentFactory(reviewer=True, region=world["regions"]["west-midlands"]).user
    sandwell = SelfAssessment.objects.get(partnership=world["partnerships"]["Sandwell"],
                                          cycle=world["cycle"])
    assert client.get(DASHBOARD).status_code == 200  # signed in, session renewed, cached
    before = _version()
    assessment_accredit(assessment=sandwell, by=reviewer)
    assert _version() != before
    # regions, rows, and the XLSX the dashboard's link asks for
    assert FiguresSnapshot.objects.filter(version=_version()).count() == 3

    response, sqls = _read_in_another_process(client)
    assert not _aggregated(sqls), sqls
    # session, user, roles, version, funds, years, scope, two snapshots, reconcile, owed
    assert len(sqls) <= 11, sqls
    assert not [sql for sql in sqls if "export-xlsx" in sql]  # the workbook is not fetched

    scope = world["scope"]
    regions = {r.slug: tuple(getattr(r, f) for f in FIGURES) for r in response.context["regions"]}
    assert regions == _computed_afresh(scope)
    headline = response.context["headline"]
    ledger = ReleaseEntry.objects.filter(allocation__fund=scope.fund, allocation__year=scope.year)
    assert headline.released_pence == ledger.aggregate(total=Sum("amount_pence"))["total"]
    assert regions["west-midlands"][FIGURES.index("accredited")] == 1  # Sandwell, now
    rows = {row["slug"]: row["released_pence"] for row in response.context["rows"]}
    assert rows["sandwell"] == 700_000_000  # all of it, now accredited


def test_a_snapshot_is_never_read_after_a_change_it_does_not_know(client, world):
    """A change nobody announced (raw SQL, as the admin or a shell would write) moves the version:
    the warmed figures of the version before are not read, the reader computes the new ones, and
    the next warm-up (beat's) stores them."""
    figures_warm()
    warmed = _version()
    assert FiguresSnapshot.objects.filter(version=warmed).exists()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE funding_allocation SET amount_pence = amount_pence + 100 "
                       "WHERE partnership_id = %s AND year_id = %s",
                       [world["partnerships"]["Walsall"].pk, world["year"].pk])
    assert _version() != warmed

    response, sqls = _read_in_another_process(client)
    assert _aggregated(sqls)
    west = next(r for r in response.context["regions"] if r.slug == "west-midlands")
    fresh = _computed_afresh(world["scope"])["west-midlands"]
    assert west.anticipated_pence == fresh[0]

    assert figures_warm() == _version()
    assert figures_warm() is None  # already warm: nothing computed twice
    _, sqls = _read_in_another_process(client)
    assert not _aggregated(sqls)


def test_a_rolled_back_change_warms_nothing(world):
    """The warm-up is sent when the change commits, never for a transaction that rolled back."""
    figures_warm()
    FiguresSnapshot.objects.update(version=0)  # forget it, to see whether anything warms again
    reviewer = RoleAssignmentFactory(reviewer=True, region=world["regions"]["west-midlands"]).user
    sandwell = SelfAssessment.objects.get(partnership=world["partnerships"]["Sandwell"],
                                          cycle=world["cycle"])
    with transaction.atomic():
        assessment_accredit(assessment=sandwell, by=reviewer)
        transaction.set_rollback(True)
    assert not FiguresSnapshot.objects.exclude(version=0).exists()


# --- The XLSX export the dashboard's link asks for with nothing chosen ---------------------------

XLSX = reverse("reporting:dashboard-export-xlsx")


@pytest.fixture
def workbooks_written(monkeypatch):
    """Every workbook written from the database (by a reader or by the warm-up), as its table's
    title: the warm-up and the export view both write through `exports.xlsx_bytes`."""
    written = []
    build = exports.xlsx_bytes

    def spy(table):
        written.append(table.title)
        return build(table)

    monkeypatch.setattr(exports, "xlsx_bytes", spy)
    return written


def _sheet(content: bytes) -> dict[str, dict]:
    rows = list(load_workbook(io.BytesIO(content))["Allocations"].iter_rows(values_only=True))
    return {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}


def _xlsx_in_another_process(client, params=None):
    caches["figures"].clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(XLSX, params or {})
    assert response.status_code == 200
    return response.content, [q["sql"] for q in queries.captured_queries]


def test_after_a_committed_decision_the_first_xlsx_is_the_workbook_the_worker_wrote(
        client, world, workbooks_written):
    """The decision's commits warm the export too: the first reader of the XLSX in a process
    reads the stored workbook (no aggregate, no read of the ledger, no workbook written), and it
    has the decision in it."""
    reviewer = RoleAssignmentFactory(reviewer=True, region=world["regions"]["west-midlands"]).user
    sandwell = SelfAssessment.objects.get(partnership=world["partnerships"]["Sandwell"],
                                          cycle=world["cycle"])
    before = _sheet(client.get(XLSX).content)["Sandwell"]
    assert before["Released NRF 2002/03 (£)"] != 7_000_000
    workbooks_written.clear()

    assessment_accredit(assessment=sandwell, by=reviewer)  # commits; eager Celery warms
    assert workbooks_written  # by the warm-up, after the commit
    stored = FiguresSnapshot.objects.get(name=EXPORT_XLSX, version=_version())
    workbooks_written.clear()

    content, sqls = _xlsx_in_another_process(client)
    assert workbooks_written == []
    assert content == bytes(stored.data)
    assert not _aggregated(sqls), sqls
    assert not [sql for sql in sqls if "funding_releaseentry" in sql], sqls  # not the ledger
    # session, user, roles, version, funds, years, scope, the regions' snapshot (the filter
    # form's choices), the workbook's snapshot
    assert len(sqls) <= 9, sqls
    sandwell_row = _sheet(content)["Sandwell"]
    assert sandwell_row["Released NRF 2002/03 (£)"] == 7_000_000  # all of it, now accredited
    assert sandwell_row["Status (2002/03 cycle)"] == "Accredited"

    again, sqls = _xlsx_in_another_process(client)  # every process reads the same file
    assert again == content and workbooks_written == []


def test_a_filtered_xlsx_is_written_by_its_first_reader_and_has_the_change(
        client, world, workbooks_written):
    """What the worker did not warm (here a status filter) is written by its reader, once per
    process and version, as before, from the committed figures."""
    walsall = world["partnerships"]["Walsall"]
    with connection.cursor() as cursor:  # a change nobody announced, then beat's warm-up
        cursor.execute(
            "INSERT INTO funding_releaseentry (allocation_id, amount_pence, target_pence, "
            "allocation_pence, fraction, funding_state, cause, note, created_at, effective_on) "
            "SELECT id, 5, 5, amount_pence, 0, 'deferred', 'manual', '', now(), %s "
            "FROM funding_allocation WHERE partnership_id = %s AND year_id = %s",
            [clock.today(), walsall.pk, world["year"].pk])
    assert figures_warm() == _version()
    workbooks_written.clear()

    everything, _ = _xlsx_in_another_process(client)
    assert workbooks_written == []
    deferred, sqls = _xlsx_in_another_process(client, {"status": "deferred"})
    assert len(workbooks_written) == 1
    assert [q for q in sqls if "funding_releaseentry" in q]  # written from the ledger
    rows = _sheet(deferred)
    assert list(rows) == ["Walsall"]
    assert (round(rows["Walsall"]["Released NRF 2002/03 (£)"] * 100)
            == round(_sheet(everything)["Walsall"]["Released NRF 2002/03 (£)"] * 100))
    released = ReleaseEntry.objects.filter(allocation__partnership=walsall,
                                           allocation__year=world["year"])
    assert (round(rows["Walsall"]["Released NRF 2002/03 (£)"] * 100)
            == released.aggregate(total=Sum("amount_pence"))["total"])
    with CaptureQueriesContext(connection) as cached:
        assert client.get(XLSX, {"status": "deferred"}).content == deferred
    assert len(workbooks_written) == 1  # once per process and version
    assert not [q for q in cached.captured_queries if "funding_allocation" in q["sql"]]


def test_the_export_of_a_new_day_is_warmed_by_beat_and_the_old_one_dropped(
        client, world, workbooks_written):
    """The export's date is part of the file: on a new day beat's warm-up writes that day's
    (the figures unchanged), and the previous day's workbook is not kept beside it."""
    figures_warm()
    assert figures_warm() is None  # warm: nothing written twice
    yesterday = FiguresSnapshot.objects.get(name=EXPORT_XLSX)
    tomorrow = timezone.make_aware(dt.datetime.combine(clock.today() + dt.timedelta(days=1),
                                                       dt.time(0, 1)))
    workbooks_written.clear()
    with clock.held_at(tomorrow):
        assert figures_warm() == _version()
        assert len(workbooks_written) == 1
        content, _ = _xlsx_in_another_process(client)
    assert len(workbooks_written) == 1  # the reader read the warmed one
    today = FiguresSnapshot.objects.get(name=EXPORT_XLSX)  # one row: yesterday's is gone
    assert today.key != yesterday.key and today.key.endswith(tomorrow.date().isoformat())
    assert content == bytes(today.data)
    notes = dict(load_workbook(io.BytesIO(content))["Notes"].iter_rows(values_only=True))
    assert notes["As at"] == f"End of {tomorrow.date():%-d %B %Y}"


def test_a_workbook_of_megabytes_is_stored_and_read_back_exactly(world):
    """A file of the size of a 10,000-partnership export, stored beside the JSON figures: read
    back byte for byte, and only by its own name and key."""
    version = _version()
    workbook = os.urandom(2 * 1024 * 1024)
    figures_snapshots_write(version=version, items=[(EXPORT_XLSX, "big", workbook)])
    figures_snapshots_write(version=version, items=[("dashboard-rows", "page", [{"a": 1}])])
    with CaptureQueriesContext(connection) as rows_read:
        assert figures_snapshot_read("dashboard-rows", "page", version) == [{"a": 1}]
    assert len(rows_read.captured_queries) == 1
    assert "export-xlsx" not in rows_read.captured_queries[0]["sql"]
    assert figures_snapshot_read(EXPORT_XLSX, "big", version) == workbook
    assert figures_snapshot_read(EXPORT_XLSX, "big", version + 1) is None
    FiguresSnapshot.objects.filter(name=EXPORT_XLSX).update(data=workbook[:-1])
    assert figures_snapshot_read(EXPORT_XLSX, "big", version) is None  # cut short: not served


def test_while_another_warm_up_writes_the_export_this_one_leaves_it(world, workbooks_written):
    """Two worker processes never write the same workbook at once: while one holds the export's
    lock, another warms the dashboard's figures only; the next warm-up writes the export."""
    FiguresSnapshot.objects.all().delete()
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [EXPORT_LOCK])
        assert figures_warm() == _version()
        assert set(FiguresSnapshot.objects.values_list("name", flat=True)) == figures_snapshots.DASHBOARD
        assert workbooks_written == []
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [EXPORT_LOCK])
    finally:
        other.close()
    assert figures_warm() == _version()
    assert FiguresSnapshot.objects.filter(name=EXPORT_XLSX, version=_version()).exists()
    assert len(workbooks_written) == 1


def test_a_burst_of_changes_is_warmed_by_one_process_up_to_the_last(world, monkeypatch):
    """While one warm-up computes the dashboard's figures, a change commits and its own warm-up
    (another worker process) finds the step taken and leaves at once; the first catches up, so
    the version the burst ends on is warmed all the same, without beat."""
    from django.db import connections

    from reporting import figures_warm as warm_module

    FiguresSnapshot.objects.all().delete()
    first_page = warm_module._dashboard_first_page
    other_result = {}

    def meanwhile():
        # Another worker process's warm-up, for a change committed while the step is taken.
        try:
            with connection.cursor() as cursor:
                cursor.execute("UPDATE partnerships_region SET name = name "
                               "WHERE id = (SELECT min(id) FROM partnerships_region)")
            other_result["figures"] = warm_module._warm_latest(warm_module.DASHBOARD_LOCK,
                                                               warm_module._dashboard_plan)
            other_result["version"] = _version()
        finally:
            connections.close_all()

    calls = []

    def first_page_with_a_change_meanwhile():
        calls.append(1)
        if len(calls) == 1:
            import threading

            thread = threading.Thread(target=meanwhile)
            thread.start()
            thread.join()
        return first_page()

    monkeypatch.setattr(warm_module, "_dashboard_first_page", first_page_with_a_change_meanwhile)
    before = _version()
    warmed = figures_warm()

    assert other_result["figures"] is None  # the step was taken: it left at once
    assert other_result["version"] != before
    assert len(calls) == 2  # the first warm-up warmed its version, then the newer one
    assert warmed == _version() == other_result["version"]
    stored = set(FiguresSnapshot.objects.filter(name__in=figures_snapshots.DASHBOARD)
                 .values_list("version", flat=True))
    assert _version() in stored


def test_with_nothing_to_store_the_warm_up_ends(transactional_db):
    """A database whose figures version moved but that has no fund-year yet: the dashboard's
    step has nothing to store, and the warm-up takes it once, then ends (it must not take it
    again and again because nothing was stored)."""
    import threading

    from tests.factories import RegionFactory

    RegionFactory()  # a watched table: the version moves, with no fund or year to show
    version = _version()
    result = {}
    thread = threading.Thread(daemon=True, target=lambda: result.update(warmed=figures_warm()) or
                              connection.close())
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), "the warm-up did not end"
    assert result["warmed"] == version
    assert not FiguresSnapshot.objects.exists()
