"""An allocation import that tells the truth: the page lists what it accepts, a template to
fill in, the dashboard of the fund and year imported afterwards, and the illustrative figures
re-shared so that the national total still equals the published total; where that cannot be,
the dashboard says by how much and why. What the dashboard says about the national total is
checked against the figures after every kind of import."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import Provenance
from funding.models import Allocation, PublishedTotal, RecomputeRequest
from reporting import import_file
from reporting.import_write import allocations_import
from tests.factories import FundFactory, RoleAssignmentFactory, SourceFactory

from .dashboard_world import build_world

pytestmark = pytest.mark.django_db

HEADER = "authority,fund,year,amount,source\n"
# The world's NRF 2002/03 figures (tests/reporting/dashboard_world.py), the published total.
TOTAL = 300_000_001 + 450_000_000 + 612_345_679 + 700_000_000 + 500_000_000


@pytest.fixture
def world(db):
    world = build_world()
    SourceFactory(key="HC2001")
    FundFactory(code="CEF")
    # Three illustrative figures: Walsall, Sandwell, Wolverhampton; a published total to keep.
    Allocation.objects.filter(partnership__slug="wolverhampton", year=world["year"]).update(
        provenance=Provenance.ILLUSTRATIVE, source=None)
    PublishedTotal.objects.create(fund=world["nrf"], year=world["year"], amount_pence=TOTAL)
    return world


@pytest.fixture
def admin(world):
    return RoleAssignmentFactory(admin=True).user


def _import(text: str, admin, capture):
    preview = import_file.allocations_preview(filename="figures.csv",
                                              content=(HEADER + text).encode())
    assert preview.errors == []
    with capture(execute=True):
        return preview, allocations_import(preview=preview, by=admin)


def _figures(world) -> dict[str, tuple[int, str]]:
    return {slug: (pence, provenance) for slug, pence, provenance in Allocation.objects.filter(
        fund=world["nrf"], year=world["year"]).values_list("partnership__slug", "amount_pence",
                                                           "provenance")}


def test_the_page_lists_what_it_accepts_and_offers_a_template(client, world, admin):
    client.force_login(admin)
    html = client.get(reverse("reporting:allocations-import")).content.decode()
    accepts = html[html.index('id="import-accepts"'):]
    for text in ("<code>CEF</code>", "<code>NRF</code>", "<code>2001/02</code>",
                 "<code>2002/03</code>", "<code>HC2001</code>", "<code>HL2003</code>"):
        assert text in accepts
    template = client.get(reverse("reporting:allocations-import-template"))
    assert template["Content-Type"].startswith("text/csv")
    body = template.content.decode()
    assert next(csv.reader(io.StringIO(body))) == ["authority", "fund", "year", "amount", "source"]
    # The template, filled in, is read by the import.
    filled = body + "Walsall,NRF,2002/03,1.00,HC2001\r\n"
    preview = import_file.allocations_preview(filename="t.csv", content=filled.encode())
    assert preview.errors == [] and len(preview.changes) == 1


def test_every_row_error_names_its_row_and_column(client, world, admin):
    client.force_login(admin)
    upload = SimpleUploadedFile("f.csv", (HEADER + "Walsall,NRF,2002-03,1,HC2001\n"
                                                   "Sandwell,NRF,2002/03,x,HC2001\n").encode())
    html = client.post(reverse("reporting:allocations-import"), {"file": upload}).content.decode()
    assert "Row 2, year: Year ‘2002-03’ must be a financial year written like 2002/03" in html
    assert "Row 3, amount: Amount ‘x’ must be a number in pounds" in html


def test_after_an_import_the_dashboard_of_its_fund_and_year(client, world, admin,
                                                           django_capture_on_commit_callbacks):
    client.force_login(admin)
    upload = SimpleUploadedFile("f.csv", (HEADER + "Walsall,NRF,2001/02,1000,HC2001\n").encode())
    preview = client.post(reverse("reporting:allocations-import"), {"file": upload})
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("reporting:allocations-import-confirm"),
                           {"token": preview.context["preview"].token})
    assert done.status_code == 302
    assert done["Location"] == reverse("reporting:dashboard-show") + "?fund=NRF&year=2001%2F02"
    page = client.get(done["Location"])
    assert page.context["scope"].year.label == "2001/02"
    assert "1 allocation changed" in page.content.decode()


def test_a_real_figure_reshares_the_illustrative_ones_to_the_published_total(
        world, admin, django_capture_on_commit_callbacks):
    preview, result = _import("Walsall,NRF,2002/03,4613412.50,HC2001\n", admin,
                              django_capture_on_commit_callbacks)
    (plan,) = preview.reshares
    assert plan.possible and plan.illustrative == 2
    figures = _figures(world)
    assert figures["walsall"] == (461_341_250, Provenance.PUBLISHED)
    assert sum(pence for pence, _ in figures.values()) == TOTAL
    # Equal shares in whole pence, the odd penny to the first by name (Sandwell).
    left = TOTAL - 300_000_001 - 450_000_000 - 461_341_250
    assert figures["sandwell"] == (left // 2 + left % 2, Provenance.ILLUSTRATIVE)
    assert figures["wolverhampton"] == (left // 2, Provenance.ILLUSTRATIVE)
    assert result.reshared == 2
    # The preview said what the write did; each re-shared figure owes its partnership a recompute.
    assert set(plan.new_pence.values()) == {figures["sandwell"][0], figures["wolverhampton"][0]}
    owed = RecomputeRequest.objects.filter(cause=RecomputeRequest.Cause.ALLOCATION_CHANGE)
    assert set(owed.values_list("partnership__slug", flat=True)) == {
        "walsall", "sandwell", "wolverhampton"}


def test_resharing_is_deterministic(world, admin, django_capture_on_commit_callbacks):
    _import("Walsall,NRF,2002/03,4613412.50,HC2001\n", admin, django_capture_on_commit_callbacks)
    first = _figures(world)
    _import("Walsall,NRF,2002/03,4613412.51,HC2001\n", admin, django_capture_on_commit_callbacks)
    _import("Walsall,NRF,2002/03,4613412.50,HC2001\n", admin, django_capture_on_commit_callbacks)
    assert _figures(world) == first


def _note(client, admin) -> tuple[str, int]:
    client.force_login(admin)
    response = client.get(reverse("reporting:dashboard-show"), {"fund": "NRF", "year": "2002/03"})
    html = response.content.decode()
    return html, response.context["headline"].anticipated_pence


def _pounds(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


@pytest.mark.parametrize(("rows", "claim"), [
    ("", "equal"),
    ("Walsall,NRF,2002/03,4613412.50,HC2001\n", "equal"),
    ("Walsall,NRF,2002/03,4613412.50,HC2001\nSandwell,NRF,2002/03,7000000,HC2001\n", "equal"),
    # The last illustrative figure replaced by a different real one: nothing left to re-share.
    ("Walsall,NRF,2002/03,1,HC2001\nSandwell,NRF,2002/03,2,HC2001\n"
     "Wolverhampton,NRF,2002/03,3,HC2001\n", "no illustrative figure is left"),
    # Real figures above the total: the illustrative figures cannot take the difference.
    ("Walsall,NRF,2002/03,90000000,HC2001\n", "alone add up to more than the published total"),
])
def test_what_the_dashboard_says_about_the_total_holds_after_any_import(
        client, world, admin, django_capture_on_commit_callbacks, rows, claim):
    if rows:
        _import(rows, admin, django_capture_on_commit_callbacks)
    html, anticipated = _note(client, admin)
    assert anticipated == sum(pence for pence, _ in _figures(world).values())
    illustrative = any(p == Provenance.ILLUSTRATIVE for _, p in _figures(world).values())
    if claim == "equal":
        assert anticipated == TOTAL
        said = ("Illustrative figures fill the gaps so that the national total equals the "
                f"published total of {_pounds(TOTAL)}" if illustrative else
                f"The national total equals the published total of {_pounds(TOTAL)}")
        assert said in html
        assert 'id="national-total-differs"' not in html
    else:
        assert anticipated != TOTAL
        difference = abs(anticipated - TOTAL)
        warning = re.search(r'id="national-total-differs".*?</strong>', html, re.S).group(0)
        assert (f"The national total is {_pounds(difference)} "
                f"{'more' if anticipated > TOTAL else 'less'} than the published total of "
                f"{_pounds(TOTAL)}") in warning
        assert claim in warning
        assert "fill the gaps so that the national total equals" not in html


def test_without_a_published_total_the_page_makes_no_claim(client, world, admin):
    PublishedTotal.objects.all().delete()
    html, _ = _note(client, admin)
    assert "equals the published total" not in html
    assert "no published national total is recorded for NRF 2002/03" in html


def test_the_preview_says_how_the_illustrative_figures_will_be_reshared(client, world, admin):
    client.force_login(admin)

    def preview_html(rows: str) -> str:
        upload = SimpleUploadedFile("f.csv", (HEADER + rows).encode())
        return client.post(reverse("reporting:allocations-import"), {"file": upload}).content.decode()

    left = TOTAL - 300_000_001 - 450_000_000 - 461_341_250
    html = preview_html("Walsall,NRF,2002/03,4613412.50,HC2001\n")
    assert (f"NRF 2002/03: the 2 illustrative figures left will share {_pounds(left)}, about "
            f"{_pounds(left // 2)} each, so that the national total stays {_pounds(TOTAL)}") in html
    over = preview_html("Walsall,NRF,2002/03,90000000,HC2001\n")
    excess = 300_000_001 + 450_000_000 + 9_000_000_000 - TOTAL
    assert (f"would add up to {_pounds(excess)} more than the published total of "
            f"{_pounds(TOTAL)}") in over
    assert _figures(world)["walsall"] == (612_345_679, Provenance.ILLUSTRATIVE)  # nothing written
