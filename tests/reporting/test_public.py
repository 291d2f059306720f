"""Published decisions: public once the cycle's announcement date has come, and not before."""

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.urls import reverse

from core import clock
from tests.factories import (
    AllocationFactory,
    CycleFactory,
    FinancialYearFactory,
    RoleAssignmentFactory,
    SelfAssessmentFactory,
)

from .dashboard_world import build_world

pytestmark = pytest.mark.django_db

LIST = reverse("reporting_public:decisions-list")


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def future(world):
    """A later cycle announced next year, with Walsall already accredited in it and an NRF
    allocation for its year: none of it may show."""
    today = clock.today()
    cycle = CycleFactory(year_start=today.year + 1, name="FUTURE-CYCLE",
                         announcement_date=dt.date(today.year + 1, 2, 28))
    year = FinancialYearFactory(start_year=today.year + 1)
    walsall = world["partnerships"]["Walsall"]
    AllocationFactory(partnership=walsall, fund=world["nrf"], year=year, amount_pence=987_654_321)
    SelfAssessmentFactory(partnership=walsall, cycle=cycle, state="accredited")
    return cycle


def test_anyone_can_read_the_published_decisions(client, world):
    response = client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Accreditation of Local Strategic Partnerships: published decisions" in html
    assert "On 28 February 2002 the outcome of the 2002/03 accreditation" in html
    assert "2 partnerships have been accredited and 1 deferred" in html
    assert "2 have yet to be decided" in html
    client.force_login(RoleAssignmentFactory(officer=True).user)
    assert client.get(LIST).status_code == 200


def _region_tables(html: str) -> dict[str, list[tuple[str, ...]]]:
    """Each region's table of a written answer: its caption, then its rows' cells as text."""
    tables = {}
    for caption, body in re.findall(r'<caption[^>]*>([^<]+)</caption>.*?<tbody[^>]*>(.*?)</tbody>',
                                    html, re.S):
        rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
        tables[caption.strip()] = [
            tuple(re.sub(r"\s+", " ", cell).strip()
                  for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S))
            for row in rows
        ]
    return tables


def test_grouped_by_region_like_a_written_answer(client, world):
    html = client.get(LIST).content.decode()
    tables = _region_tables(html)
    assert list(tables) == ["Government Office for North East",
                            "Government Office for West Midlands"]
    west = tables["Government Office for West Midlands"]
    assert [row[0] for row in west] == ["Sandwell", "Walsall", "Wolverhampton"]
    assert west[1] == ("Walsall", "Deferred pending review (review by 28 March 2002)",
                       "£6,123,456.79", "Illustrative")
    assert "which totals £25,623,456.80" in html


def test_nothing_from_a_cycle_before_its_announcement_date(client, world, future):
    html = client.get(LIST).content.decode()
    assert "FUTURE-CYCLE" not in html
    assert "£9,876,543.21" not in html
    year = future.year_start
    for name in ("decisions-show", "decisions-csv", "decisions-csv-metadata", "decisions-json"):
        assert client.get(reverse(f"reporting_public:{name}", args=[year])).status_code == 404


def test_published_on_the_announcement_date_itself(client, world, future):
    today = clock.today()
    type(future).objects.filter(pk=future.pk).update(
        opens_on=today - dt.timedelta(days=60), submission_deadline=today - dt.timedelta(days=30),
        announcement_date=today)
    response = client.get(reverse("reporting_public:decisions-show", args=[future.year_start]))
    assert response.status_code == 200
    assert "£9,876,543.21" in response.content.decode()
    # The list shows every announced cycle, newest first.
    listing = client.get(LIST)
    assert [c["cycle"] for c in listing.context["cycles"]] == [future, world["cycle"]]
    assert 'href="#cycle-2002"' in listing.content.decode()


def test_no_cycle_announced_yet(client, world):
    type(world["cycle"]).objects.update(announcement_date=dt.date(2999, 1, 1))
    response = client.get(LIST)
    assert "No accreditation decisions have been announced yet" in response.content.decode()
    assert "Walsall" not in response.content.decode()


def test_unknown_cycle_is_404(client, world):
    assert client.get(reverse("reporting_public:decisions-show", args=[1999])).status_code == 404


def _text(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_open_data_csv(client, world):
    response = client.get(reverse("reporting_public:decisions-csv", args=[2002]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="lsp-accreditation-decisions-2002-03.csv"')
    assert response["Link"] == (
        '<http://testserver/decisions/2002.csv-metadata.json>; rel="describedby"; '
        'type="application/csvw+json"')
    reader = csv.DictReader(io.StringIO(_text(response)))
    assert reader.fieldnames == [
        "cycle", "announced_on", "region", "government_office", "authority", "gss_code",
        "partnership", "status_announced", "status_announced_label", "review_date_announced",
        "status_current", "status_current_label", "status_current_since", "review_date_current",
        "fund", "year", "allocation_pence", "allocation_gbp", "released_at_announcement_pence",
        "held_at_announcement_pence", "provenance", "source"]
    rows = list(reader)
    assert len(rows) == 5
    walsall = next(r for r in rows if r["authority"] == "Walsall")
    assert walsall["announced_on"] == "2002-02-28"
    assert walsall["status_announced"] == walsall["status_current"] == "deferred"
    assert walsall["status_announced_label"] == "Deferred pending review"
    assert walsall["review_date_announced"] == walsall["review_date_current"] == "2002-03-28"
    assert walsall["status_current_since"] == "2002-02-28"  # as announced, nothing since
    assert walsall["allocation_pence"] == "612345679"
    assert walsall["allocation_gbp"] == "6123456.79"
    assert walsall["released_at_announcement_pence"] == "410271604"  # 67%, rounded down
    assert walsall["held_at_announcement_pence"] == str(612_345_679 - 410_271_604)
    assert walsall["provenance"] == "illustrative"
    assert sum(int(r["allocation_pence"]) for r in rows) == 2_562_345_680
    by_name = {r["authority"]: r for r in rows}
    assert by_name["Sandwell"]["status_announced"] == "undecided"
    assert by_name["Sandwell"]["released_at_announcement_pence"] == "0"
    assert by_name["Gateshead"]["held_at_announcement_pence"] == "0"


def test_open_data_json_matches_csv(client, world):
    data = json.loads(client.get(reverse("reporting_public:decisions-json", args=[2002])).content)
    assert (data["cycle"], data["announced_on"], data["fund"], data["year"]) == (
        "2002/03", "2002-02-28", "NRF", "2002/03")
    assert data["announced"] is True
    assert data["updates_since_announcement"] == []
    by_name = {d["authority"]: d for d in data["decisions"]}
    assert by_name["Walsall"]["allocation_pence"] == 612_345_679
    assert isinstance(by_name["Walsall"]["allocation_pence"], int)
    assert by_name["Gateshead"]["status_announced"] == "accredited"
    assert by_name["Gateshead"]["source"] == "HL2003"
    assert by_name["Wolverhampton"]["status_current"] == "undecided"
    rows = list(csv.DictReader(io.StringIO(
        _text(client.get(reverse("reporting_public:decisions-csv", args=[2002]))))))
    assert [r["authority"] for r in rows] == [d["authority"] for d in data["decisions"]]
    assert list(rows[0]) == list(data["decisions"][0])


def test_downloads_within_query_budget(client, world, django_assert_max_num_queries):
    """However many partnerships: the cycle with its announcement, then the lines with their
    current status in one query (and, for JSON, the updates since)."""
    client.get(LIST)  # the announcement is taken at the first read
    with django_assert_max_num_queries(2):
        assert client.get(reverse("reporting_public:decisions-csv", args=[2002])).status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get(reverse("reporting_public:decisions-json", args=[2002])).status_code == 200


def test_open_data_csv_metadata(client, world):
    """The CSV's CSV on the Web metadata: every column in the header's order, its type and the
    unit of its money; source, licence and the date the figures are as at."""
    text = _text(client.get(reverse("reporting_public:decisions-csv", args=[2002])))
    header = next(csv.reader(io.StringIO(text)))
    response = client.get(reverse("reporting_public:decisions-csv-metadata", args=[2002]))
    assert response["Content-Type"] == "application/csvw+json"
    meta = response.json()
    assert meta["@context"][0] == "http://www.w3.org/ns/csvw"
    assert meta["url"] == "http://testserver" + reverse("reporting_public:decisions-csv",
                                                        args=[2002])
    columns = {c["name"]: c for c in meta["tableSchema"]["columns"]}
    assert list(columns) == header
    assert columns["allocation_pence"]["datatype"] == "integer"
    assert columns["allocation_pence"]["schema:unitText"].startswith("pence")
    assert (columns["allocation_gbp"]["datatype"], columns["allocation_gbp"]["schema:unitCode"]) \
        == ("decimal", "GBP")
    assert columns["announced_on"]["datatype"] == {"base": "date", "format": "yyyy-MM-dd"}
    assert "announcement" in meta["dc:source"]
    assert meta["dc:license"]["@id"].startswith("https://www.nationalarchives.gov.uk/doc/open-gov")
    assert meta["dc:temporal"]["@value"] == clock.today().isoformat()
    html = client.get(LIST).content.decode()
    assert f'href="{reverse("reporting_public:decisions-csv-metadata", args=[2002])}"' in html
