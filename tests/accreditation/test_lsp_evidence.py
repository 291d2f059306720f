"""Evidence files: the type comes from the content, names are cleaned, sizes are limited, and
files are stored where nothing serves them directly."""

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from accreditation import evidence
from accreditation.models import AssessmentChange, EvidenceFile, SelfAssessment
from accreditation.services.drafting import assessment_submit, evidence_attach, evidence_remove
from accreditation.services.transitions import ConflictError
from core.errors import ApplicationError
from tests.factories import RoleAssignmentFactory, SelfAssessmentFactory, assessment_fill

pytestmark = pytest.mark.django_db


# --- Sample files, built byte by byte so nothing depends on an office suite --------------------

def pdf_bytes(padding: int = 0) -> bytes:
    body = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\n"
    return body + b"%" + b"0" * padding + b"\ntrailer <<>>\n%%EOF\n"


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def jpeg_bytes() -> bytes:
    header = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return header + b"\x00" * 64 + b"\xff\xd9"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def ooxml_bytes(main_content_type: str, part: str) -> bytes:
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{main_content_type}"/></Types>'
    )
    return _zip({"[Content_Types].xml": types.encode(), part: b"<document/>"})


def docx_bytes() -> bytes:
    return ooxml_bytes(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "word/document.xml",
    )


def xlsx_bytes() -> bytes:
    return ooxml_bytes(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "xl/workbook.xml",
    )


def odf_bytes(mimetype: str) -> bytes:
    return _zip({"mimetype": mimetype.encode(), "content.xml": b"<office:document/>"})


def ole2_bytes(stream: str) -> bytes:
    """A compound file whose directory (sector 0, after the 512-byte header) names `stream`."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    root = "Root Entry".encode("utf-16-le") + b"\x00\x00"
    named = stream.encode("utf-16-le") + b"\x00\x00"

    def entry(name: bytes, kind: int) -> bytes:
        return name.ljust(64, b"\x00") + struct.pack("<HB", len(name), kind) + b"\x00" * 61

    return header + entry(root, 5) + entry(named, 2) + b"\x00" * 256


SAMPLES = {
    "report.pdf": (pdf_bytes, "application/pdf"),
    "minutes.doc": (lambda: ole2_bytes("WordDocument"), "application/msword"),
    "minutes.docx": (docx_bytes,
                     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "budget.xls": (lambda: ole2_bytes("Workbook"), "application/vnd.ms-excel"),
    "budget.xlsx": (xlsx_bytes,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "plan.odt": (lambda: odf_bytes("application/vnd.oasis.opendocument.text"),
                 "application/vnd.oasis.opendocument.text"),
    "plan.ods": (lambda: odf_bytes("application/vnd.oasis.opendocument.spreadsheet"),
                 "application/vnd.oasis.opendocument.spreadsheet"),
    "slides.odp": (lambda: odf_bytes("application/vnd.oasis.opendocument.presentation"),
                   "application/vnd.oasis.opendocument.presentation"),
    "photo.png": (png_bytes, "image/png"),
    "photo.jpg": (jpeg_bytes, "image/jpeg"),
    "photo.JPEG": (jpeg_bytes, "image/jpeg"),
}


def upload(name: str, content: bytes, declared: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=declared)


@pytest.fixture
def draft():
    assessment = SelfAssessmentFactory()
    officer = RoleAssignmentFactory(officer=True, partnership=assessment.partnership).user
    return assessment, officer, assessment.responses.order_by("requirement__order").first()


# --- Content decides the type ------------------------------------------------------------------

@pytest.mark.parametrize("name", SAMPLES)
def test_each_allowed_kind_is_accepted_with_the_type_read_from_its_content(draft, name):
    _, officer, response = draft
    build, mime = SAMPLES[name]

    record = evidence_attach(response=response, by=officer, upload=upload(name, build(), "text/html"))

    assert record.content_type == mime  # not what the browser declared
    stem, _, extension = name.rpartition(".")
    assert record.original_name == f"{stem}.{extension.lower()}"
    assert record.size == len(build())


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "must be a PDF, Word, Excel"),
        ("report.pdf", b"<html><script>alert(1)</script></html>", "must be a PDF, Word, Excel"),
        ("chart.pdf", png_bytes(), "is a PNG image but its name ends in .pdf"),
        ("notes.docx", _zip({"notes.txt": b"hello"}), "must be a PDF, Word, Excel"),
        ("macro.docx", ooxml_bytes("application/vnd.ms-word.document.macroEnabled.main+xml",
                                   "word/document.xml"), "must be a PDF, Word, Excel"),
        ("odd.doc", ole2_bytes("PowerPoint Document"), "must be a PDF, Word, Excel"),
        ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 200, "must be a PDF, Word, Excel"),
        ("page.html", b"<!doctype html><p>hi</p>", "must be a PDF, Word, Excel"),
        ("empty.pdf", b"", "The selected file is empty"),
    ],
)
def test_a_file_lying_about_its_type_is_refused_and_nothing_is_stored(draft, name, content, message):
    _, officer, response = draft

    with pytest.raises(ApplicationError) as refused:
        evidence_attach(response=response, by=officer, upload=upload(name, content, "application/pdf"))

    assert message in refused.value.message
    assert refused.value.extra["field"] == "evidence"
    assert not EvidenceFile.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.*"))


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\Officer\\My Documents\\annual report.pdf", "annual_report.pdf"),
        ("/home/x/../minutes 2002 (final).pdf", "minutes_2002_final.pdf"),
        ("..pdf", "evidence.pdf"),
        ("no-extension", "no-extension.pdf"),
        ("REPORT.PDF", "REPORT.pdf"),
        ("<script>.pdf", "script.pdf"),
        ("a" * 300 + ".pdf", "a" * 146 + ".pdf"),
    ],
)
def test_names_lose_their_path_parts_and_odd_characters(draft, sent, kept):
    _, officer, response = draft

    record = evidence_attach(response=response, by=officer, upload=upload(sent, pdf_bytes()))

    assert record.original_name == kept


def test_files_are_stored_under_a_random_name_in_the_evidence_root(draft):
    _, officer, response = draft

    record = evidence_attach(response=response, by=officer,
                             upload=upload("../../../secret plan.pdf", pdf_bytes()))

    stored = Path(record.file.path)
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT))
    assert "secret" not in stored.name and stored.suffix == ".pdf"
    assert stored.read_bytes() == pdf_bytes()
    assert not Path(settings.MEDIA_ROOT).is_relative_to(Path(settings.STATIC_ROOT))


def test_a_file_over_10_mb_is_refused_and_one_of_exactly_10_mb_is_accepted(draft):
    _, officer, response = draft
    exactly = pdf_bytes(padding=evidence.MAX_FILE_BYTES - len(pdf_bytes()))
    assert len(exactly) == evidence.MAX_FILE_BYTES

    evidence_attach(response=response, by=officer, upload=upload("exact.pdf", exactly))
    with pytest.raises(ApplicationError, match=r"must be 10 MB or smaller \(it is 10.0 MB\)"):
        evidence_attach(response=response, by=officer, upload=upload("big.pdf", exactly + b"\n"))

    assert EvidenceFile.objects.count() == 1


def test_files_of_one_assessment_add_up_to_at_most_50_mb(draft):
    assessment, officer, _ = draft
    ten_mb = pdf_bytes(padding=evidence.MAX_FILE_BYTES - len(pdf_bytes()))
    responses = list(assessment.responses.all())
    for n in range(5):  # 50 MB exactly, across the requirements
        evidence_attach(response=responses[n % len(responses)], by=officer,
                        upload=upload(f"part{n}.pdf", ten_mb))

    with pytest.raises(ApplicationError, match=r"must add up to 50 MB or less: 50\.0 MB is already"):
        evidence_attach(response=responses[0], by=officer, upload=upload("one-more.pdf", pdf_bytes()))

    assert EvidenceFile.objects.count() == 5
    # Another partnership's assessment has its own 50 MB.
    other = SelfAssessmentFactory(cycle=assessment.cycle)
    evidence_attach(response=other.responses.first(), by=officer, upload=upload("x.pdf", pdf_bytes()))


def test_evidence_cannot_be_added_or_removed_once_submitted(draft, django_capture_on_commit_callbacks):
    assessment, officer, response = draft
    record = evidence_attach(response=response, by=officer, upload=upload("a.pdf", pdf_bytes()))
    assessment_fill(assessment)
    chair = RoleAssignmentFactory(chair=True, partnership=assessment.partnership).user
    assessment_submit(assessment=assessment, by=chair)

    with pytest.raises(ConflictError, match="was submitted by"):
        evidence_attach(response=response, by=officer, upload=upload("b.pdf", pdf_bytes()))
    with pytest.raises(ConflictError):
        evidence_remove(evidence=record, by=officer)
    assert EvidenceFile.objects.count() == 1


def test_removing_evidence_deletes_the_row_then_the_file_after_commit(
    draft, django_capture_on_commit_callbacks
):
    assessment, officer, response = draft
    record = evidence_attach(response=response, by=officer, upload=upload("a.pdf", pdf_bytes()))
    path = Path(record.file.path)
    version = SelfAssessment.objects.get(pk=assessment.pk).version

    with django_capture_on_commit_callbacks(execute=True):
        evidence_remove(evidence=record, by=officer)
    # Removing it again (a double-submitted form) is not an error.
    evidence_remove(evidence=record, by=officer)

    assert not EvidenceFile.objects.exists()
    assert not path.exists()
    assert SelfAssessment.objects.get(pk=assessment.pk).version == version + 1
    actions = list(assessment.changes.values_list("action", "summary"))
    assert actions[-2:] == [
        (AssessmentChange.Action.EVIDENCE_ADDED, "R1 evidence added: a.pdf"),
        (AssessmentChange.Action.EVIDENCE_REMOVED, "R1 evidence removed: a.pdf"),
    ]


def test_megabytes_reads_well():
    assert evidence.megabytes(10) == "1 KB"
    assert evidence.megabytes(18_000) == "18 KB"
    assert evidence.megabytes(2_500_000) == "2.4 MB"
