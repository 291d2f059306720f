"""What an evidence file is, judged from its content, and what it may be called.

A file's name and the browser's Content-Type are both chosen by the sender, so neither is
trusted: the type comes from the bytes. Office Open XML (docx, xlsx) and OpenDocument (odt, ods,
odp) files are zip containers, so for those the zip's own manifest is read ([Content_Types].xml
or the `mimetype` member); legacy Word and Excel files are OLE2 compound files, told apart by
the streams they hold. Anything else, whatever it is called, is refused.
"""

import os
import re
import zipfile
from dataclasses import dataclass

import filetype
from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import get_valid_filename

from core.errors import ApplicationError

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ASSESSMENT_BYTES = 50 * 1024 * 1024
MAX_NAME_LENGTH = 150
ALLOWED_DESCRIPTION = "a PDF, Word, Excel, OpenDocument, PNG or JPEG file"
# The `accept` attribute of the file input: a hint for the browser's picker, not a check.
ACCEPT = ".pdf,.doc,.docx,.xls,.xlsx,.odt,.ods,.odp,.png,.jpg,.jpeg"


@dataclass(frozen=True)
class Kind:
    extension: str
    mime: str
    label: str
    extensions: frozenset[str]


KINDS = {
    k.extension: k
    for k in (
        Kind("pdf", "application/pdf", "PDF", frozenset({"pdf"})),
        Kind("doc", "application/msword", "Word document", frozenset({"doc"})),
        Kind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "Word document", frozenset({"docx"})),
        Kind("xls", "application/vnd.ms-excel", "Excel spreadsheet", frozenset({"xls"})),
        Kind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "Excel spreadsheet", frozenset({"xlsx"})),
        Kind("odt", "application/vnd.oasis.opendocument.text", "OpenDocument text",
             frozenset({"odt"})),
        Kind("ods", "application/vnd.oasis.opendocument.spreadsheet", "OpenDocument spreadsheet",
             frozenset({"ods"})),
        Kind("odp", "application/vnd.oasis.opendocument.presentation",
             "OpenDocument presentation", frozenset({"odp"})),
        Kind("png", "image/png", "PNG image", frozenset({"png"})),
        Kind("jpg", "image/jpeg", "JPEG image", frozenset({"jpg", "jpeg"})),
    )
}

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ODF_MIMETYPES = {KINDS[e].mime: KINDS[e] for e in ("odt", "ods", "odp")}
# The content type of the main part names what an Office Open XML package is.
_OOXML_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
}
_OLE2_STREAMS = {"WordDocument": "doc", "Workbook": "xls", "Book": "xls"}


def _refuse(message: str):
    raise ApplicationError(message, extra={"field": "evidence"})


def _ole2_kind(f) -> Kind | None:
    """Word 97-2003 files hold a 'WordDocument' stream, Excel ones a 'Workbook' (or 'Book').

    Directory entries are 128 bytes long and always start on a 128-byte boundary of the file
    (sectors are 512 or 4096 bytes, after a header of one sector), so the directory can be
    found without following the allocation table: look at each boundary for an entry whose
    type is 'stream' and whose UTF-16 name is one we know.
    """
    f.seek(0)
    data = f.read(MAX_FILE_BYTES + 1)
    for offset in range(512, len(data) - 127, 128):
        entry = data[offset:offset + 128]
        name_length = int.from_bytes(entry[64:66], "little")
        if entry[66] != 2 or not 2 <= name_length <= 64 or name_length % 2:
            continue
        try:
            name = entry[:name_length - 2].decode("utf-16-le")
        except UnicodeDecodeError:
            continue
        if name in _OLE2_STREAMS:
            return KINDS[_OLE2_STREAMS[name]]
    return None


def _zip_kind(f) -> Kind | None:
    f.seek(0)
    try:
        with zipfile.ZipFile(f) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    declared = member.read(100).decode("ascii", "replace").strip()
                return _ODF_MIMETYPES.get(declared)
            if "[Content_Types].xml" in names:
                with archive.open("[Content_Types].xml") as member:
                    manifest = member.read(256 * 1024).decode("utf-8", "replace")
                types = set(re.findall(r'ContentType="([^"]+)"', manifest))
                for main_part, extension in _OOXML_MAIN_PARTS.items():
                    if main_part in types:
                        return KINDS[extension]
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
        return None
    return None


def evidence_kind(upload) -> Kind:
    """The kind of an uploaded file, from its content; refuses anything not allowed."""
    if upload.size == 0:
        _refuse("The selected file is empty")
    if upload.size > MAX_FILE_BYTES:
        _refuse(f"The selected file must be 10 MB or smaller (it is {_megabytes(upload.size)})")
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = None
    if head.startswith(_OLE2_MAGIC):
        kind = _ole2_kind(upload)
    elif head.startswith(_ZIP_MAGIC):
        kind = _zip_kind(upload)
    else:
        guessed = filetype.guess(head)
        if guessed is not None:
            kind = next((k for k in KINDS.values() if k.mime == guessed.mime), None)
    upload.seek(0)
    if kind is None:
        _refuse(f"The selected file must be {ALLOWED_DESCRIPTION}")
    return kind


def evidence_name(name: str, kind: Kind) -> str:
    """A safe display name: no folders, no odd characters, and an extension that matches what
    the content is. A name that claims another type is refused, not quietly renamed."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    extension = extension.lower()
    if extension and extension not in kind.extensions:
        _refuse(
            f"The selected file is a {kind.label} but its name ends in .{extension}: "
            f"rename it to end in .{kind.extension}, or choose another file"
        )
    try:
        stem = get_valid_filename(stem)
    except SuspiciousFileOperation:
        stem = ""
    stem = stem.strip("._") or "evidence"
    suffix = f".{extension or kind.extension}"
    return stem[: MAX_NAME_LENGTH - len(suffix)] + suffix


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def megabytes(size: int) -> str:
    """A size for people: '2.4 MB', or '18 KB' for small files."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return _megabytes(size)
