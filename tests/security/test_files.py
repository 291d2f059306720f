"""Files in and out: uploads that lie or overreach are refused with a clear message, and text a
spreadsheet would run as a formula leaves the portal inert, whichever export it is in."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from accreditation.models import EvidenceFile
from core.models import Source
from funding.models import Allocation
from partnerships.models import LocalAuthority, Partnership, Region

from .hostile import PDF
from .matrix import project_urls, url_for
from .permission_table import COLUMNS, EXPECTED
from .world import build_world

pytestmark = pytest.mark.django_db

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def world():
    return build_world()


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(world, name: str, content: bytes):
    """The officer attaches a file on requirement R1's page, as the browser would send it."""
    response = world.a_draft.responses.get(requirement__code="R1")
    url = reverse("accreditation:response-edit", args=[world.a_draft.pk, "R1"])
    return _as(world.officer_a).post(url, {
        "self_rating": "green", "case": response.case, "version": response.version,
        "action": "upload", "evidence": SimpleUploadedFile(name, content, "application/pdf"),
    })


def _error_summary(page: str) -> str:
    match = re.search(r'class="govuk-error-summary".*?</div>\s*</div>', page, re.S)
    assert match, "no GOV.UK error summary on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


# --- Uploads -----------------------------------------------------------------------------------


def test_a_program_named_like_a_pdf_is_refused_with_a_clear_message(world):
    before = EvidenceFile.objects.count()
    answer = _upload(world, "minutes.pdf", b"MZ\x90\x00\x03\x00\x00\x00 a Windows program")
    assert answer.status_code == 200
    assert ("The selected file must be a PDF, Word, Excel, OpenDocument, PNG or JPEG file"
            in _error_summary(answer.text))
    assert EvidenceFile.objects.count() == before


def test_a_file_over_10_mb_is_refused_with_its_size(world):
    before = EvidenceFile.objects.count()
    answer = _upload(world, "big.pdf", PDF + b"0" * (10 * 1024 * 1024))
    assert answer.status_code == 200
    assert "The selected file must be 10 MB or smaller (it is 10.0 MB)" in _error_summary(answer.text)
    assert EvidenceFile.objects.count() == before


@pytest.mark.parametrize("sent", ["../../../etc/cron.d/minutes.pdf", "..\\..\\windows\\minutes.pdf",
                                  "/var/evidence/minutes.pdf"])
def test_a_name_with_folders_is_stored_without_them_under_a_random_name(world, sent):
    """Folders in a name are dropped (not refused): the name is only ever shown and offered as
    the download's name, and the file itself is stored under a random name in the evidence root."""
    answer = _upload(world, sent, PDF)
    assert answer.status_code == 302
    record = EvidenceFile.objects.latest("uploaded_at")
    assert record.original_name == "minutes.pdf"
    stored = Path(record.file.path).resolve()
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert "minutes" not in stored.name and ".." not in record.file.name
    download = _as(world.officer_a).get(reverse("accreditation:evidence-download", args=[record.pk]))
    assert download.headers["Content-Disposition"] == 'attachment; filename="minutes.pdf"'


def test_an_allocation_file_lying_about_its_type_is_refused_and_nothing_changes(world):
    before = list(Allocation.objects.values_list("pk", "amount_pence", "source_id"))
    admin = _as(world.admin)
    for name, content, message in [
        ("allocations.xlsx", b"authority,fund\nWalsall,NRF\n", "could not be read as an XLSX spreadsheet"),
        ("allocations.exe", b"MZ\x90\x00", "The selected file must be a CSV or XLSX file"),
        ("allocations.csv", b"", "The selected file is empty"),
    ]:
        answer = admin.post(reverse("reporting:allocations-import"),
                            {"file": SimpleUploadedFile(name, content)})
        assert answer.status_code == 200, name
        assert message in answer.text, (name, _error_summary(answer.text))
    assert list(Allocation.objects.values_list("pk", "amount_pence", "source_id")) == before


# --- Formulas out ------------------------------------------------------------------------------


def _plant_formulas(world) -> None:
    """Text that reaches exports from reference data and from an import, each a formula."""
    LocalAuthority.objects.filter(pk=world.partnership_a.local_authority_id).update(
        name='=HYPERLINK("http://evil.example","Walsall")')
    Partnership.objects.filter(pk=world.partnership_a.pk).update(name="+Walsall LSP")
    Region.objects.filter(pk=world.region_1.pk).update(name="@West Midlands")
    Source.objects.create(key="-2+3", citation="A source whose key is a formula")


def _import(world, rows: str):
    admin = _as(world.admin)
    content = f"authority,fund,year,amount,source\n{rows}\n".encode()
    preview = admin.post(reverse("reporting:allocations-import"),
                         {"file": SimpleUploadedFile("allocations.csv", content)})
    token = re.search(r'name="token" value="([^"]+)"', preview.text)
    return admin, preview, token.group(1) if token else None


def _cells(name: str, content: bytes) -> list[str]:
    if name.endswith(".xlsx"):
        book = load_workbook(io.BytesIO(content))
        cells = []
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"{name}: a formula in {cell.coordinate}"
                    if isinstance(cell.value, str):
                        cells.append(cell.value)
        return cells
    text = content.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_a_formula_in_an_import_cell_is_refused_and_shown_as_text(world):
    _plant_formulas(world)
    before = list(Allocation.objects.values_list("pk", "amount_pence", "source_id"))
    _, preview, token = _import(world, '"=HYPERLINK(""http://evil.example"",""x"")",NRF,2002/03,1,HL')
    assert token is None and preview.status_code == 200
    assert "Unknown authority ‘=HYPERLINK(&quot;http://evil.example&quot;,&quot;x&quot;)’" in preview.text
    assert list(Allocation.objects.values_list("pk", "amount_pence", "source_id")) == before


def test_every_csv_and_xlsx_export_writes_formula_text_inertly(world):
    """An imported figure citing a source whose key is a formula, an authority, partnership and
    region named like formulas: in every spreadsheet the portal gives out, each such cell starts
    with an apostrophe, and no cell is a formula."""
    _plant_formulas(world)
    gss = world.partnership_a.local_authority.gss_code
    admin, preview, token = _import(world, f"{gss},NRF,2002/03,3000000.01,-2+3")
    assert token, preview.text
    admin.post(reverse("reporting:allocations-import-confirm"), {"token": token})
    assert Allocation.objects.filter(source__key="-2+3").count() == 1

    exports = [u.name for u in project_urls()
               if u.route.endswith((".csv", ".xlsx")) and u.name in EXPECTED]
    assert {"reporting:dashboard-export-csv", "reporting:dashboard-export-xlsx",
            "reporting_public:decisions-csv"} <= set(exports)
    unsafe, planted_seen = [], set()
    for name in exports:
        role = next(r for r in COLUMNS if EXPECTED[name]["GET"][r] == "200")
        client = Client()
        if world.user(role):
            client.force_login(world.user(role))
        answer = client.get(url_for(world, name))
        assert answer.status_code == 200, name
        content = b"".join(answer.streaming_content) if answer.streaming else answer.content
        for cell in _cells(answer.headers.get("Content-Disposition", name).rstrip('"'), content):
            if cell.startswith(FORMULA_START):
                unsafe.append(f"{name}: {cell!r}")
            for planted in ("HYPERLINK", "+Walsall LSP", "@West Midlands", "-2+3"):
                if planted in cell:
                    planted_seen.add(planted)
    assert not unsafe, "cells a spreadsheet would run as formulas:\n" + "\n".join(unsafe)
    assert planted_seen == {"HYPERLINK", "+Walsall LSP", "@West Midlands", "-2+3"}, planted_seen
