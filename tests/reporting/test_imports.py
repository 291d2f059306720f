"""Allocation import: row-by-row checks, a preview that writes nothing, then all rows or none,
each written allocation owing a recompute of its partnership's releases."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from core.errors import ApplicationError
from core.models import Provenance
from funding.models import Allocation, RecomputeRequest, ReleaseEntry
from reporting import import_file, import_workbook
from reporting.import_rows import SESSION_KEY, ImportFileError, ImportPreview
from reporting.import_write import allocations_import
from tests.factories import FundFactory, RoleAssignmentFactory, SourceFactory

from .dashboard_world import WALSALL_GSS, build_world

pytestmark = pytest.mark.django_db

HEADER = "authority,fund,year,amount,source\n"


@pytest.fixture
def world(db):
    world = build_world()
    SourceFactory(key="HC2001")
    FundFactory(code="CEF")
    return world


@pytest.fixture
def admin(world):
    return RoleAssignmentFactory(admin=True).user


def _preview(text: str, name: str = "figures.csv") -> ImportPreview:
    return import_file.allocations_preview(filename=name, content=text.encode("utf-8"))


def _snapshot():
    return sorted(Allocation.objects.values_list("pk", "amount_pence", "provenance", "source_id",
                                                 "note"))


def _walsall_2002():
    return Allocation.objects.get(partnership__slug="walsall", year__start_year=2002)


def test_preview_shows_new_changed_and_unchanged_and_writes_nothing(world):
    Allocation.objects.filter(partnership__slug="gateshead", year__start_year=2002).update(
        source=world["source"])
    before = _snapshot()
    preview = _preview(HEADER + (
        'Walsall,NRF,2002/03,"4,613,412.50",HC2001\n'  # illustrative figure replaced
        "walsall,CEF,2002/03,£1000,HC2001\n"           # no CEF allocation yet
        "Gateshead,NRF,2002/03,3000000.01,HL2003\n"    # already exactly this, published
    ))
    assert preview.errors == []
    kinds = {(c.authority, c.fund_code): c.kind for c in preview.changes}
    assert kinds == {("Walsall", "NRF"): "changed", ("Walsall", "CEF"): "new",
                     ("Gateshead", "NRF"): "unchanged"}
    walsall = preview.changes[0]
    assert walsall.amount_pence == 461_341_250
    assert walsall.before_pence == 612_345_679
    assert walsall.difference_pence == 461_341_250 - 612_345_679
    assert (preview.new_count, preview.changed_count, preview.unchanged_count) == (1, 1, 1)
    assert [c.kind for c in preview.to_write] == ["changed", "new"]
    assert _snapshot() == before


def test_confirmed_import_writes_published_figures_and_recomputes(world, admin,
                                                                   django_capture_on_commit_callbacks):
    preview = _preview(HEADER + "Walsall,NRF,2002/03,4613412.50,HC2001\n"
                                "Sandwell,nrf,2002/03,0,hc2001\n")
    with django_capture_on_commit_callbacks(execute=True):
        result = allocations_import(preview=preview, by=admin)
    assert (result.created, result.updated, result.unchanged, result.recomputes) == (0, 2, 0, 2)
    walsall = _walsall_2002()
    assert walsall.amount_pence == 461_341_250
    assert walsall.provenance == Provenance.PUBLISHED
    assert walsall.source.key == "HC2001"
    assert "figures.csv" in walsall.note and admin.email in walsall.note
    requests = RecomputeRequest.objects.filter(cause=RecomputeRequest.Cause.ALLOCATION_CHANGE)
    assert sorted(requests.values_list("partnership__slug", "cause_id")) == sorted([
        ("walsall", walsall.pk), ("sandwell", Allocation.objects.get(
            partnership__slug="sandwell", year__start_year=2002).pk)])
    # The recompute ran after commit: Walsall (deferred) now has 67% of the new figure released.
    released = sum(ReleaseEntry.objects.filter(allocation=walsall).values_list("amount_pence",
                                                                                flat=True))
    assert released == 461_341_250 * 67 // 100
    assert not requests.filter(completed_at__isnull=True).exists()


def test_new_allocation_is_created(world, admin, django_capture_on_commit_callbacks):
    preview = _preview(HEADER + "Walsall,CEF,2002/03,1000.00,HC2001\n")
    with django_capture_on_commit_callbacks(execute=True):
        result = allocations_import(preview=preview, by=admin)
    assert (result.created, result.updated) == (1, 0)
    cef = Allocation.objects.get(partnership__slug="walsall", fund__code="CEF")
    assert (cef.amount_pence, cef.provenance) == (100_000, Provenance.PUBLISHED)
    assert RecomputeRequest.objects.filter(cause_id=cef.pk, cause="allocation_change").exists()


BAD_ROWS = [
    ("Atlantis,NRF,2002/03,100,HC2001", "authority", "Unknown authority ‘Atlantis’"),
    ("Walsall,NRF,2002/03,12abc,HC2001", "amount", "must be a number in pounds"),
    ("Walsall,NRF,2002/03,-100,HC2001", "amount", "is negative"),
    ("Walsall,NRF,2002/03,100.505,HC2001", "amount", "fractions of a penny"),
    ("Walsall,NRF,2002/03,,HC2001", "amount", "Enter the amount in pounds"),
    ("Walsall,NRF,2002/03,NaN,HC2001", "amount", "must be a number in pounds"),
    ("Walsall,NRF,2002/03,1e30,HC2001", "amount", "too large"),
    ("Walsall,NRF,2002,100,HC2001", "year", "must be a financial year written like 2002/03"),
    ("Walsall,NRF,2003-04,100,HC2001", "year", "Year ‘2003-04’ must be a financial year written "
                                               "like 2003/04"),
    ("Walsall,NRF,2002/2003,100,HC2001", "year", "written like 2002/03"),
    ("Walsall,NRF,2002/04,100,HC2001", "year", "is not a financial year"),
    ("Walsall,NRF,2009/10,100,HC2001", "year", "There is no financial year 2009/10 in the portal: "
                                               "use one of 2001/02, 2002/03"),
    ("Walsall,XYZ,2002/03,100,HC2001", "fund", "Unknown fund ‘XYZ’: use one of CEF, NRF"),
    ("Walsall,NRF,2002/03,100,NOPE", "source", "Unknown source key ‘NOPE’"),
    ("Walsall,NRF,2002/03,100,", "source", "Enter the source key"),
    (",NRF,2002/03,100,HC2001", "authority", "Enter the authority’s name or GSS code"),
]


@pytest.mark.parametrize(("row", "column", "message"), BAD_ROWS,
                         ids=[b[2].split(":")[0][:30] for b in BAD_ROWS])
def test_one_bad_row_refuses_the_whole_file(world, admin, row, column, message):
    before = _snapshot()
    text = HEADER + "Sandwell,NRF,2002/03,100,HC2001\n" + row + "\nGateshead,NRF,2002/03,5,HL2003\n"
    preview = _preview(text)
    assert len(preview.errors) == 1
    (error,) = preview.errors
    assert (error.row, error.column) == (3, column)
    assert message in error.message
    with pytest.raises(ApplicationError, match="nothing was imported"):
        allocations_import(preview=preview, by=admin)
    assert _snapshot() == before
    assert not RecomputeRequest.objects.filter(cause="allocation_change").exists()


def test_duplicate_rows_are_reported_against_the_first(world):
    preview = _preview(HEADER + "Walsall,NRF,2002/03,1,HC2001\n"
                                f"{WALSALL_GSS},NRF,2002/03,2,HC2001\n")
    (error,) = preview.errors
    assert error.row == 3
    assert "Duplicate of row 2" in error.message


def test_every_problem_of_a_row_is_listed(world):
    preview = _preview(HEADER + "Atlantis,XYZ,2002,-1,NOPE\n")
    assert [e.column for e in preview.errors] == ["authority", "fund", "year", "amount", "source"]


def test_authority_by_gss_code_or_any_case_name(world):
    preview = _preview(HEADER + f"{WALSALL_GSS.lower()},NRF,2002/03,1,HC2001\n"
                                "  SANDWELL ,NRF,2002/03,1,HC2001\n")
    assert preview.errors == []
    assert [c.authority for c in preview.changes] == ["Walsall", "Sandwell"]


@pytest.mark.parametrize(("text", "message"), [
    ("", "The selected file is empty"),
    ("authority,fund,year,amount\nWalsall,NRF,2002/03,1\n", "(missing: source)"),
    (HEADER, "has a header row but no allocations"),
    ("authority,fund,year,amount,source,Source\n", "names the source column twice"),
])
def test_unusable_files_are_refused_whole(world, text, message):
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _preview(text)


def test_too_many_rows(world, monkeypatch):
    monkeypatch.setattr(import_file, "MAX_ROWS", 2)
    with pytest.raises(ImportFileError, match="more than 2 rows"):
        _preview(HEADER + "Walsall,NRF,2002/03,1,HC2001\n" * 3)


def test_windows_encoded_csv_with_pound_sign(world):
    preview = import_file.allocations_preview(
        filename="excel.csv",
        content=(HEADER + "Walsall,NRF,2002/03,£12.34,HC2001\n").encode("cp1252"))
    assert preview.errors == []
    assert preview.changes[0].amount_pence == 1234


def _xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_numbers_and_text(world):
    content = _xlsx([
        ["Authority", "Fund", "Financial year", "Amount (£)", "Source key"],
        [WALSALL_GSS, "NRF", "2002/03", 4613412.5, "HC2001"],
        ["Sandwell", "NRF", "2002/03", 1234.56, "HC2001"],
        [None, None, None, None, None],
        ["Gateshead", "NRF", "2002/03", 700, "HL2003"],
    ])
    preview = import_file.allocations_preview(filename="Figures.XLSX", content=content)
    assert preview.errors == []
    assert [c.amount_pence for c in preview.changes] == [461_341_250, 123_456, 70_000]
    assert [c.row for c in preview.changes] == [2, 3, 5]


def test_xlsx_year_turned_into_a_date_is_an_error(world):
    import datetime as dt

    content = _xlsx([["authority", "fund", "year", "amount", "source"],
                     ["Walsall", "NRF", dt.datetime(2002, 3, 1), 1, "HC2001"]])
    (error,) = import_file.allocations_preview(filename="f.xlsx", content=content).errors
    assert error.column == "year"


def test_a_file_that_is_not_a_spreadsheet(world):
    with pytest.raises(ImportFileError, match="could not be read as an XLSX"):
        import_file.allocations_preview(filename="f.xlsx", content=b"not a zip at all")
    with pytest.raises(ImportFileError, match="must be a CSV or XLSX"):
        import_file.allocations_preview(filename="f.exe", content=b"MZ")


def test_a_spreadsheet_that_unpacks_to_something_huge_is_refused_unread(world, monkeypatch):
    monkeypatch.setattr(import_workbook, "MAX_UNPACKED_BYTES", 1000)
    content = _xlsx([["authority", "fund", "year", "amount", "source"]] +
                    [["Walsall", "NRF", "2002/03", 1, "HC2001"]] * 50)
    with pytest.raises(ImportFileError, match="too large to import"):
        import_file.allocations_preview(filename="f.xlsx", content=content)


def test_only_an_nru_admin_can_import(world):
    analyst = RoleAssignmentFactory(analyst=True).user
    preview = _preview(HEADER + "Walsall,NRF,2002/03,1,HC2001\n")
    with pytest.raises(ApplicationError, match="Only an NRU administrator"):
        allocations_import(preview=preview, by=analyst)


def test_a_change_after_the_preview_refuses_the_import(world, admin):
    preview = _preview(HEADER + "Walsall,NRF,2002/03,1,HC2001\nSandwell,NRF,2002/03,1,HC2001\n")
    Allocation.objects.filter(partnership__slug="sandwell", year__start_year=2002).update(
        amount_pence=42)
    before = _snapshot()
    with pytest.raises(ApplicationError, match="changed after you previewed"):
        allocations_import(preview=preview, by=admin)
    assert _snapshot() == before


def test_session_round_trip_keeps_what_is_written(world):
    preview = _preview(HEADER + "Walsall,NRF,2002/03,1.50,HC2001\n")
    again = ImportPreview.from_session(preview.to_session())
    assert again.token == preview.token
    assert [(c.key, c.amount_pence, c.before_pence, c.kind) for c in again.changes] == [
        (c.key, c.amount_pence, c.before_pence, c.kind) for c in preview.changes]


# --- The pages ----------------------------------------------------------------------------------


def _upload(client, text: str, name: str = "figures.csv"):
    return client.post(reverse("reporting:allocations-import"),
                       {"file": SimpleUploadedFile(name, text.encode("utf-8"))})


def test_upload_preview_confirm(client, world, admin, django_capture_on_commit_callbacks):
    client.force_login(admin)
    page = client.get(reverse("reporting:allocations-import"))
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.content.decode()
    response = _upload(client, HEADER + "Walsall,NRF,2002/03,4613412.50,HC2001\n")
    html = response.content.decode()
    assert response.status_code == 200
    assert "£6,123,456.79" in html and "£4,613,412.50" in html
    assert _walsall_2002().amount_pence == 612_345_679  # nothing written yet
    token = response.context["preview"].token
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reporting:allocations-import-confirm"), {"token": token})
    assert response.status_code == 302
    assert _walsall_2002().amount_pence == 461_341_250
    followed = client.get(response["Location"])
    assert "1 allocation changed" in followed.content.decode()
    # The preview cannot be confirmed twice.
    response = client.post(reverse("reporting:allocations-import-confirm"), {"token": token},
                           follow=True)
    assert "no longer available" in response.content.decode()


def test_preview_with_errors_offers_no_confirm(client, world, admin):
    client.force_login(admin)
    response = _upload(client, HEADER + "Walsall,NRF,2002/03,-5,HC2001\nAtlantis,NRF,2002/03,1,HC2001\n")
    html = response.content.decode()
    assert "2 problems in 2 rows: nothing has been imported" in html
    assert "Row 2, amount" in html and "Row 3, authority" in html
    assert reverse("reporting:allocations-import-confirm") not in html
    assert SESSION_KEY not in client.session


def test_confirm_with_a_forged_token_writes_nothing(client, world, admin):
    client.force_login(admin)
    _upload(client, HEADER + "Walsall,NRF,2002/03,1,HC2001\n")
    before = _snapshot()
    response = client.post(reverse("reporting:allocations-import-confirm"), {"token": "forged"},
                           follow=True)
    assert "no longer available" in response.content.decode()
    assert _snapshot() == before


@pytest.mark.parametrize(("name", "content", "message"), [
    ("figures.pdf", b"%PDF-1.4", "must be a CSV or XLSX file"),
    ("figures.xlsx", b"junk", "could not be read as an XLSX spreadsheet"),
    ("figures.csv", b"name,amount\nx,1\n", "must name the columns"),
])
def test_bad_uploads_get_a_message_on_the_form(client, world, admin, name, content, message):
    client.force_login(admin)
    response = client.post(reverse("reporting:allocations-import"),
                           {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and message in html


def test_no_file_chosen(client, world, admin):
    client.force_login(admin)
    response = client.post(reverse("reporting:allocations-import"), {})
    assert "Select a CSV or XLSX file" in response.content.decode()
