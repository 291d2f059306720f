"""The worker computes the dashboard's costliest figures right after a committed change, before
any reader asks (docs/adr/0024-figures-warmed-after-commit.md): the first reader in a process
then reads them instead of aggregating the ledger, and they are the ledger's figures.

These tests commit for real (transactional database, PostgreSQL): Celery is eager, so the
warm-up runs as soon as the change commits, as the worker would.
"""

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accreditation.models import SelfAssessment
from accreditation.services.decisions import assessment_accredit
from funding.models import FiguresVersion, ReleaseEntry
from reporting import dashboard
from reporting.figures_warm import figures_warm
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
    assert FiguresSnapshot.objects.filter(version=_version()).count() == 2  # regions, rows

    response, sqls = _read_in_another_process(client)
    assert not _aggregated(sqls), sqls
    # session, user, roles, version, funds, years, scope, two snapshots, reconcile, owed
    assert len(sqls) <= 11, sqls

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
