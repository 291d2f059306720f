"""CSV and XLSX exports: what the table shows, re-read to the same figures, safe to open."""

import datetime as dt
import io
import re
from decimal import Decimal

import pandas
import pytest
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from core import clock
from reporting.export_table import OGL
from reporting.exports import pounds_decimal, safe_text
from tests.factories import (
    AllocationFactory,
    LocalAuthorityFactory,
    PartnershipFactory,
    RoleAssignmentFactory,
)

from .dashboard_world import build_world

pytestmark = pytest.mark.django_db

WALSALL = 612_345_679
WALSALL_RELEASED = WALSALL * 67 // 100


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def analyst_client(client, world):
    client.force_login(RoleAssignmentFactory(analyst=True).user)
    return client


def _pence(value) -> int | None:
    """A re-read amount in pounds (text from CSV, a number from XLSX) as whole pence."""
    if value in (None, ""):
        return None
    return int(Decimal(str(value)) * 100)


def _read_csv(client, **params) -> tuple[dict, list[dict]]:
    """The CSV read as an ordinary reader reads it (pandas, every column as text), with the
    CSVW metadata its `Link` header names."""
    response = client.get(reverse("reporting:dashboard-export-csv"), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert response["Content-Disposition"].startswith('attachment; filename="allocations-nrf-2002-03-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("Authority,GSS code,Region,")  # the header row is the first line
    frame = pandas.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    link = re.fullmatch(r'<([^>]+)>; rel="describedby"; type="application/csvw\+json"',
                        response["Link"])
    assert link, response["Link"]
    metadata = client.get(link.group(1))
    assert metadata.status_code == 200
    assert metadata["Content-Type"] == "application/csvw+json"
    return metadata.json(), frame.to_dict("records")


def _read_xlsx(client, **params) -> tuple[dict, list[dict], object]:
    response = client.get(reverse("reporting:dashboard-export-xlsx"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["Allocations"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    notes = dict(workbook["Notes"].iter_rows(values_only=True))
    return notes, [dict(zip(header, row, strict=True)) for row in rows[1:]], sheet


@pytest.mark.parametrize(("text", "expected"), [
    ("=1+1", "'=1+1"),
    ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
    ("+44 20 7946 0000", "'+44 20 7946 0000"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("Walsall", "Walsall"),
    ("", ""),
    ("a=b", "a=b"),
])
def test_safe_text_neutralises_formulas(text, expected):
    assert safe_text(text) == expected


def test_pounds_decimal_is_exact():
    assert pounds_decimal(612_345_679) == Decimal("6123456.79")
    assert pounds_decimal(0) == Decimal("0.00")
    assert pounds_decimal(None) is None


def test_csv_reread_gives_the_dashboard_figures(analyst_client, world):
    meta, rows = _read_csv(analyst_client)
    assert [r["Authority"] for r in rows] == ["Gateshead", "Sandwell", "Sunderland", "Walsall",
                                              "Wolverhampton"]
    anticipated = sum(_pence(r["Anticipated NRF 2002/03 (£)"]) for r in rows)
    released = sum(_pence(r["Released NRF 2002/03 (£)"]) for r in rows)
    held = sum(_pence(r["Held NRF 2002/03 (£)"]) for r in rows)
    dashboard = analyst_client.get(reverse("reporting:dashboard-show")).context["headline"]
    assert (anticipated, released, held) == (
        dashboard.anticipated_pence, dashboard.released_pence, dashboard.held_pence)
    walsall = next(r for r in rows if r["Authority"] == "Walsall")
    assert walsall["Status (2002/03 cycle)"] == "Deferred"
    assert _pence(walsall["Released NRF 2002/03 (£)"]) == WALSALL_RELEASED
    assert _pence(walsall["Held NRF 2002/03 (£)"]) == WALSALL - WALSALL_RELEASED
    assert _pence(walsall["NRF 2001/02 (£)"]) == WALSALL * 2 // 3
    assert walsall["NRF 2001/02 provenance"] == "derived"
    assert _pence(walsall["NRF 2002/03 (£)"]) == WALSALL
    assert walsall["Provenance"] == "Illustrative"
    assert walsall["GSS code"] == "E08000002"
    gateshead = next(r for r in rows if r["Authority"] == "Gateshead")
    assert gateshead["Source"] == "HL2003"
    assert "Fund and year: NRF 2002/03" in meta["dc:description"]
    assert "Filters: region: all; status: any; provenance: any" in meta["dc:description"]


def test_csv_respects_filters_and_sort(analyst_client, world):
    meta, rows = _read_csv(analyst_client, region="west-midlands", sort="held", order="desc")
    assert [r["Authority"] for r in rows] == ["Sandwell", "Wolverhampton", "Walsall"]
    assert "Filters: region: West Midlands; status: any; provenance: any" in meta["dc:description"]
    assert "Sorted by: held, descending" in meta["dc:description"]
    assert meta["url"].endswith("/export.csv?region=west-midlands&sort=held&order=desc")


def test_csv_ignores_a_bad_filter_as_the_page_does(analyst_client, world):
    _, rows = _read_csv(analyst_client, region="atlantis", status="deferred")
    assert [r["Authority"] for r in rows] == ["Walsall"]


def test_xlsx_reread_gives_the_same_figures_as_numbers(analyst_client, world):
    meta, rows, sheet = _read_xlsx(analyst_client, status="deferred")
    (walsall,) = rows
    assert walsall["Authority"] == "Walsall"
    assert isinstance(walsall["Held NRF 2002/03 (£)"], int | float)
    assert _pence(walsall["Held NRF 2002/03 (£)"]) == WALSALL - WALSALL_RELEASED
    assert _pence(walsall["Released NRF 2002/03 (£)"]) == WALSALL_RELEASED
    assert _pence(walsall["Anticipated NRF 2002/03 (£)"]) == WALSALL
    assert meta["Filters"] == "region: all; status: Deferred; provenance: any"
    money_cell = sheet.cell(row=2, column=list(rows[0]).index("Held NRF 2002/03 (£)") + 1)
    assert money_cell.number_format == '"£"#,##0.00'


def test_xlsx_and_csv_agree(analyst_client, world):
    _, csv_rows = _read_csv(analyst_client)
    _, xlsx_rows, _ = _read_xlsx(analyst_client)
    for c, x in zip(csv_rows, xlsx_rows, strict=True):
        assert c["Authority"] == x["Authority"]
        for column in ("Anticipated NRF 2002/03 (£)", "Released NRF 2002/03 (£)",
                       "Held NRF 2002/03 (£)", "NRF 2001/02 (£)"):
            assert _pence(c[column]) == _pence(x[column])


def test_an_authority_named_like_a_formula_is_exported_as_text(analyst_client, world):
    la = LocalAuthorityFactory(name='=HYPERLINK("http://evil.example","Totals")', slug="evil",
                               region=world["regions"]["west-midlands"], gss_code="@E099999")
    AllocationFactory(partnership=PartnershipFactory(local_authority=la), fund=world["nrf"],
                      year=world["year"], amount_pence=100)
    _, rows = _read_csv(analyst_client, provenance="illustrative", sort="anticipated")
    assert rows[0]["Authority"] == "'=HYPERLINK(\"http://evil.example\",\"Totals\")"
    assert rows[0]["GSS code"] == "'@E099999"
    _, rows, sheet = _read_xlsx(analyst_client, provenance="illustrative", sort="anticipated")
    assert rows[0]["Authority"].startswith("'=")
    formulas = [cell for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    assert formulas == []


def test_csv_metadata_describes_every_column_as_csv_on_the_web(analyst_client, world):
    meta, rows = _read_csv(analyst_client)
    assert meta["@context"][0] == "http://www.w3.org/ns/csvw"
    columns = meta["tableSchema"]["columns"]
    # The metadata's titles are the CSV's header, in order; every name is unique.
    assert [c["titles"] for c in columns] == list(rows[0])
    assert len({c["name"] for c in columns}) == len(columns)
    by_title = {c["titles"]: c for c in columns}
    held = by_title["Held NRF 2002/03 (£)"]
    assert (held["name"], held["datatype"], held["schema:unitCode"]) == (
        "held_nrf_2002_03", "decimal", "GBP")
    assert by_title["Authority"]["datatype"] == "string"
    assert by_title["Released share"]["datatype"] == {"base": "decimal", "minimum": 0}
    assert "published = from Hansard" in meta["dc:provenance"]
    assert "release ledger" in meta["dc:source"]
    assert meta["dc:license"] == {"@id": OGL}
    assert meta["dc:temporal"] == {"@value": clock.today().isoformat(), "@type": "xsd:date"}
    assert meta["dialect"]["header"] is True


def test_csv_metadata_is_for_nru_staff_only(client, world):
    url = reverse("reporting:dashboard-export-csv-metadata")
    assert client.get(url).status_code == 302
    client.force_login(RoleAssignmentFactory(officer=True).user)
    assert client.get(url).status_code == 404


def test_dashboard_links_the_csv_metadata(analyst_client, world):
    html = analyst_client.get(reverse("reporting:dashboard-show"), {"region": "north-east"}
                              ).content.decode()
    metadata = reverse("reporting:dashboard-export-csv-metadata")
    assert f'href="{metadata}?region=north-east"' in html


def test_xlsx_is_laid_out_for_a_spreadsheet_user(analyst_client, world):
    notes, rows, sheet = _read_xlsx(analyst_client)
    header = list(rows[0])
    assert sheet.freeze_panes == "A2"
    last = get_column_letter(len(header))
    assert sheet.auto_filter.ref == f"A1:{last}{len(rows) + 1}"
    # Each column at least as wide as its title and its longest value as shown.
    for index, title in enumerate(header, start=1):
        width = sheet.column_dimensions[get_column_letter(index)].width
        assert width >= len(title), title
    authority_width = sheet.column_dimensions["A"].width
    assert authority_width >= max(len(r["Authority"]) for r in rows)
    share_cell = sheet.cell(row=2, column=header.index("Released share") + 1)
    assert share_cell.number_format == "0.0%"
    walsall = next(r for r in rows if r["Authority"] == "Walsall")
    assert walsall["Released share"] == pytest.approx(0.67)
    assert notes["Figures as at"] == dt.datetime.combine(clock.today(), dt.time())
    assert "published = from Hansard" in notes["Provenance"]
    assert notes["Licence"].startswith("Open Government Licence v3.0")


def test_xlsx_totals_equal_the_dashboard(analyst_client, world):
    _, rows, _ = _read_xlsx(analyst_client)
    dashboard = analyst_client.get(reverse("reporting:dashboard-show")).context["headline"]
    for column, expected in (("Anticipated NRF 2002/03 (£)", dashboard.anticipated_pence),
                             ("Released NRF 2002/03 (£)", dashboard.released_pence),
                             ("Held NRF 2002/03 (£)", dashboard.held_pence)):
        assert sum(_pence(r[column]) for r in rows) == expected
