"""Allocation import of hostile and damaged workbooks: each is refused on the form with a clear
message, nothing is imported, never a 500.

The workbooks are built here by hand, a zip of XML parts, so each can be wrong in exactly one
way; the same builder's plain workbook imports (so a refusal is about the fault, not the
builder).
"""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from funding.models import Allocation
from reporting import import_file
from reporting.import_rows import SESSION_KEY, ImportFileError
from tests.factories import RoleAssignmentFactory, SourceFactory

from .dashboard_world import build_world

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml"
CONTENT_TYPES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="{XLSX}.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{XLSX}.worksheet+xml"/>
</Types>"""
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Allocations" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""
WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>
</Relationships>"""
HEADER_ROW = ('<row r="1"><c r="A1" t="inlineStr"><is><t>authority</t></is></c>'
              '<c r="B1" t="inlineStr"><is><t>fund</t></is></c>'
              '<c r="C1" t="inlineStr"><is><t>year</t></is></c>'
              '<c r="D1" t="inlineStr"><is><t>amount</t></is></c>'
              '<c r="E1" t="inlineStr"><is><t>source</t></is></c></row>')
AMOUNT = '<c r="D2"><v>1234.5</v></c>'
FIGURES_ROW = ('<row r="2"><c r="A2" t="inlineStr"><is><t>{authority}</t></is></c>'
               '<c r="B2" t="inlineStr"><is><t>NRF</t></is></c>'
               '<c r="C2" t="inlineStr"><is><t>2002/03</t></is></c>'
               '{amount}<c r="E2" t="inlineStr"><is><t>HC2001</t></is></c></row>')


def sheet(*, prolog: str = "", authority: str = "Walsall", amount: str = AMOUNT) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + prolog
            + '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + "<sheetData>" + HEADER_ROW + FIGURES_ROW.format(authority=authority, amount=amount)
            + "</sheetData></worksheet>")


def workbook(extra: dict[str, str] | None = None, **parts: str | None) -> bytes:
    """A plain one-sheet workbook; a keyword replaces a part (None leaves it out) and `extra`
    adds parts by name."""
    names = {
        "[Content_Types].xml": "content_types", "_rels/.rels": "package_rels",
        "xl/workbook.xml": "xl_workbook", "xl/_rels/workbook.xml.rels": "xl_workbook_rels",
        "xl/worksheets/sheet1.xml": "xl_sheet",
    }
    plain = {"content_types": CONTENT_TYPES, "package_rels": PACKAGE_RELS,
             "xl_workbook": WORKBOOK, "xl_workbook_rels": WORKBOOK_RELS, "xl_sheet": sheet()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, key in names.items():
            text = parts.get(key, plain[key])
            if text is not None:
                archive.writestr(name, text)
        for name, text in (extra or {}).items():
            archive.writestr(name, text)
    return buffer.getvalue()


BILLION_LAUGHS = """<!DOCTYPE lolz [
<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>"""
EXTERNAL_ENTITY = '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
DTD_ONLY = '<!DOCTYPE worksheet SYSTEM "http://evil.example/worksheet.dtd">'
SHARED_STRINGS_XXE = ('<?xml version="1.0"?>' + EXTERNAL_ENTITY
                      + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                        'count="1" uniqueCount="1"><si><t>&xxe;</t></si></sst>')


def _truncated() -> bytes:
    content = workbook()
    return content[: len(content) // 2]


def _corrupted_crc() -> bytes:
    content = bytearray(workbook())
    # The sheet's deflated data sits after its local header: flip a byte in the middle.
    start = content.find(b"xl/worksheets/sheet1.xml") + len("xl/worksheets/sheet1.xml")
    content[start + 20] ^= 0xFF
    return bytes(content)


HOSTILE = {
    "billion laughs in the sheet": (
        lambda: workbook(xl_sheet=sheet(prolog=BILLION_LAUGHS, authority="&lol9;")),
        "document type declaration"),
    "external entity in the sheet": (
        lambda: workbook(xl_sheet=sheet(prolog=EXTERNAL_ENTITY, authority="&xxe;")),
        "document type declaration"),
    "external DTD in the sheet": (
        lambda: workbook(xl_sheet=sheet(prolog=DTD_ONLY)), "document type declaration"),
    "external entity in shared strings": (
        lambda: workbook(extra={"xl/sharedStrings.xml": SHARED_STRINGS_XXE}),
        "document type declaration"),
    "entities in the content types": (
        lambda: workbook(content_types=CONTENT_TYPES.replace(
            "?>", "?>" + BILLION_LAUGHS.replace("lolz", "Types"), 1)),
        "document type declaration"),
    "DTD in the workbook": (
        lambda: workbook(xl_workbook=WORKBOOK.replace("?>", "?>" + EXTERNAL_ENTITY, 1)),
        "document type declaration"),
    "broken zip": (_truncated, "could not be read as an XLSX spreadsheet"),
    "damaged part in the zip": (_corrupted_crc, "could not be read as an XLSX spreadsheet"),
    "not a zip": (lambda: b"<html>authority,fund</html>", "could not be read as an XLSX"),
    "no content types": (lambda: workbook(content_types=None), "is not an Excel workbook"),
    "wrong content types": (
        lambda: workbook(content_types=CONTENT_TYPES.replace(f"{XLSX}.sheet.main+xml",
                                                             "application/xml")),
        "is not an Excel workbook"),
    "a macro-enabled workbook": (
        lambda: workbook(content_types=CONTENT_TYPES.replace(
            f"{XLSX}.sheet.main+xml", "application/vnd.ms-excel.sheet.macroEnabled.main+xml")),
        "macros or links to other files"),
    "a link to another file": (
        lambda: workbook(xl_workbook_rels=WORKBOOK_RELS.replace(
            "</Relationships>",
            '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/externalLinkPath" Target="file:///C:/secret.xlsx" '
            'TargetMode="External"/></Relationships>')),
        "macros or links to other files"),
    "the sheet missing": (lambda: workbook(xl_sheet=None), "a sheet it lists is missing"),
    "no sheet listed": (
        lambda: workbook(xl_workbook=WORKBOOK.replace(
            '<sheet name="Allocations" sheetId="1" r:id="rId1"/>', "")),
        "has no worksheet"),
    "malformed XML in the sheet": (
        lambda: workbook(xl_sheet=sheet().replace("</sheetData>", "")),
        "damaged (xl/worksheets/sheet1.xml could not be read)"),
    "a formula in a cell": (
        lambda: workbook(xl_sheet=sheet(amount='<c r="D2"><f>1000+234.5</f><v>1234.5</v></c>')),
        "formulas (the first in cell D2)"),
    "a shared formula, no value": (
        lambda: workbook(xl_sheet=sheet(amount='<c r="D2"><f t="shared" si="0"/></c>')),
        "formulas (the first in cell D2)"),
}


@pytest.fixture
def world(db):
    world = build_world()
    SourceFactory(key="HC2001")
    return world


@pytest.fixture
def admin(world):
    return RoleAssignmentFactory(admin=True).user


def _snapshot():
    return sorted(Allocation.objects.values_list("pk", "amount_pence", "provenance", "source_id"))


def test_the_hand_built_workbook_imports(world):
    preview = import_file.allocations_preview(filename="figures.xlsx", content=workbook())
    assert preview.errors == []
    assert [(c.authority, c.amount_pence) for c in preview.changes] == [("Walsall", 123_450)]


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_or_damaged_workbook_is_refused_whole(world, case):
    build, message = HOSTILE[case]
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_file.allocations_preview(filename="figures.xlsx", content=build())


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_on_the_form_each_is_a_message_and_nothing_is_imported(client, world, admin, case):
    build, message = HOSTILE[case]
    client.force_login(admin)
    before = _snapshot()
    response = client.post(reverse("reporting:allocations-import"),
                           {"file": SimpleUploadedFile("figures.xlsx", build())})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html and message in html.replace("&#x27;", "'")
    assert SESSION_KEY not in client.session
    assert _snapshot() == before
