"""The dashboard's cost does not grow with the number of partnerships: at most 15 SQL queries
for the whole page (session, user and roles included) at 88 and at 10,000 partnerships, today
and as at a past date, and the figures still equal the sums taken independently while
generating them."""

import pytest
from django.db import transaction
from django.urls import reverse

from tests.factories import RoleAssignmentFactory

from .dashboard_world import AS_AT_DAY, generate_national

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("big")]

BUDGET = 15


# 10,000 partnerships is a load test (left out of `make test-fast`).
@pytest.fixture(scope="module", params=[88, pytest.param(10_000, marks=pytest.mark.load)],
                ids=lambda n: f"{n}-partnerships")
def national(request, django_db_setup, django_db_blocker):
    """Generated once per size for the module, in a transaction rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        world = generate_national(request.param)
        analyst = RoleAssignmentFactory(analyst=True).user
        yield {**world, "analyst": analyst}
        transaction.set_rollback(True)


@pytest.mark.parametrize("params", [
    {},
    {"region": "west-midlands", "status": "deferred"},
    {"sort": "held", "order": "desc", "page": "3"},
    {"provenance": "illustrative", "sort": "released"},
    {"year": "2003/04", "sort": "status"},
    {"as_at": AS_AT_DAY.isoformat()},
    {"as_at": AS_AT_DAY.isoformat(), "region": "west-midlands", "status": "accredited",
     "sort": "held", "order": "desc"},
], ids=["default", "filtered", "sorted-page-3", "provenance", "ungoverned-year", "as-at",
        "as-at-filtered-sorted"])
def test_whole_page_within_budget(client, django_assert_max_num_queries, national, params):
    client.force_login(national["analyst"])
    with django_assert_max_num_queries(BUDGET):
        response = client.get(reverse("reporting:dashboard-show"), params)
    assert response.status_code == 200
    headline = response.context["headline"]
    assert headline.partnerships == national["partnerships"]
    page = response.context["page"]
    shown = page.end_index() - page.start_index() + 1 if headline.matching else 0
    assert len(response.context["rows"]) == shown
    if "year" not in params:
        expected = national["expected_as_at" if "as_at" in params else "expected"]
        assert headline.anticipated_pence == expected["anticipated"]
        assert headline.released_pence == expected["released"]
        assert (headline.accredited, headline.deferred, headline.undecided) == (
            expected["accredited"], expected["deferred"], expected["undecided"])


def test_exports_stream_every_row(client, national):
    """The CSV export of the whole table has one line per partnership, whatever the size."""
    client.force_login(national["analyst"])
    response = client.get(reverse("reporting:dashboard-export-csv"))
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    header = next(n for n, line in enumerate(lines) if line.startswith("Authority,"))
    assert len(lines) - header - 1 == national["partnerships"]
