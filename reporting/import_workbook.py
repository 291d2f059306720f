"""Allocation import, the workbook: an uploaded XLSX opened only once it is shown to be a plain,
well-formed Excel workbook of the expected shape.

An XLSX is a zip of XML parts. Before openpyxl reads any of it, `workbook_open_safely` checks
the zip (it opens, it is not too big unpacked, not too many parts), every XML part (well formed,
parsed by `defusedxml` with no document type declaration, entity or external reference
allowed: so no entity expansion and no file or URL is ever fetched), the content types (a
workbook, no macros, no links to other files), the sheets (the first worksheet is in the file)
and the cells of the sheet imported (figures, not formulas: a formula's result is whatever the
program that saved it last computed, or nothing). Anything else is refused with a message for
the form; nothing is imported. openpyxl itself also parses with defusedxml once it is installed.
"""

import io
import logging
import posixpath
import zipfile

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring, iterparse

from .import_rows import ImportFileError

logger = logging.getLogger(__name__)

MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_PARTS = 1000

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PACKAGE_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
# Content that runs code or reaches other files: never in a file of figures.
REFUSED_TYPES = (
    "application/vnd.ms-office.vbaProject",
    "application/vnd.ms-excel.sheet.macroEnabled",
    "application/vnd.ms-excel.sheet.binary",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink",
    "application/vnd.openxmlformats-officedocument.oleObject",
    "application/vnd.ms-office.activeX",
)

NOT_XLSX = ("The selected file could not be read as an XLSX spreadsheet: save it from Excel as "
            ".xlsx, or as CSV")
TOO_LARGE = "The selected spreadsheet is too large to import: save it as CSV, or split it"
NOT_A_WORKBOOK = ("The selected file is not an Excel workbook: save it from Excel as an .xlsx "
                  "workbook, or as CSV")
MACROS = ("The selected spreadsheet contains macros or links to other files: save it as a plain "
          ".xlsx workbook, or as CSV")
DTD = ("The selected spreadsheet contains a document type declaration or entities, which Excel "
       "never writes: save it again from Excel as .xlsx, or as CSV")
NO_SHEET = "The selected spreadsheet has no worksheet to import"
SHEET_MISSING = ("The selected spreadsheet is damaged: a sheet it lists is missing from the "
                 "file. Save it again from Excel, or as CSV")


def _damaged(part: str) -> str:
    return (f"The selected spreadsheet is damaged ({part} could not be read): save it again from "
            "Excel, or as CSV")


def _formulas(cell: str) -> str:
    return (f"The selected spreadsheet has formulas (the first in cell {cell}): copy the cells "
            "and paste them as values, then upload it again")


def _parse(archive: zipfile.ZipFile, name: str, *, events=("end",)):
    """Each (event, element) of a part, parsed with no DTD, entity or external reference
    allowed; a refusal or a malformed part becomes the form's message."""
    try:
        with archive.open(name) as part:
            yield from iterparse(part, events=events, forbid_dtd=True, forbid_entities=True,
                                 forbid_external=True)
    except DefusedXmlException as error:
        raise ImportFileError(DTD) from error
    except (ParseError, zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise ImportFileError(_damaged(name)) from error


def _root(archive: zipfile.ZipFile, name: str):
    if name not in archive.NameToInfo:
        return None
    try:
        return fromstring(archive.read(name), forbid_dtd=True, forbid_entities=True,
                          forbid_external=True)
    except DefusedXmlException as error:
        raise ImportFileError(DTD) from error
    except (ParseError, zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise ImportFileError(_damaged(name)) from error


def _content_types(archive: zipfile.ZipFile) -> dict[str, str]:
    """Part name (no leading slash) to content type; refuses macros and external links."""
    root = _root(archive, "[Content_Types].xml")
    if root is None:
        raise ImportFileError(NOT_A_WORKBOOK)
    defaults = {d.get("Extension", "").lower(): d.get("ContentType", "")
                for d in root.iter(f"{CONTENT_TYPES}Default")}
    overrides = {o.get("PartName", "").lstrip("/"): o.get("ContentType", "")
                 for o in root.iter(f"{CONTENT_TYPES}Override")}
    if any(t.startswith(REFUSED_TYPES) for t in [*defaults.values(), *overrides.values()]):
        raise ImportFileError(MACROS)
    types = {}
    for name in archive.namelist():
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        types[name] = overrides.get(name, defaults.get(extension, ""))
    return types


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id to (target part name, target mode)."""
    folder, name = posixpath.split(part)
    root = _root(archive, posixpath.join(folder, "_rels", f"{name}.rels"))
    found = {}
    for rel in [] if root is None else root.iter(f"{PACKAGE_RELATIONSHIPS}Relationship"):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target))
        found[rel.get("Id", "")] = (path, rel.get("TargetMode", "Internal"))
    return found


def _sheet_to_import(archive: zipfile.ZipFile, types: dict[str, str]) -> str:
    """The part of the first worksheet (the one imported); every sheet listed must exist."""
    workbooks = [name for name, kind in types.items() if kind == WORKBOOK_TYPE]
    if len(workbooks) != 1:
        raise ImportFileError(NOT_A_WORKBOOK)
    workbook = workbooks[0]
    relationships = _relationships(archive, workbook)
    if any(mode.lower() == "external" for _, mode in relationships.values()):
        raise ImportFileError(MACROS)
    sheets = list(_root(archive, workbook).iter(f"{MAIN}sheet"))
    if not sheets:
        raise ImportFileError(NO_SHEET)
    first = None
    for sheet in sheets:
        target, _ = relationships.get(sheet.get(RELATIONSHIP_ID, ""), ("", ""))
        if target not in archive.NameToInfo:
            raise ImportFileError(SHEET_MISSING)
        if first is None and types.get(target) == WORKSHEET_TYPE:
            first = target
    if first is None:
        raise ImportFileError(NO_SHEET)
    return first


def _refuse_formulas(archive: zipfile.ZipFile, sheet: str) -> None:
    cell = "A1"
    for event, element in _parse(archive, sheet, events=("start", "end")):
        if event == "start" and element.tag == f"{MAIN}c":
            cell = element.get("r", cell)
        elif event == "end" and element.tag == f"{MAIN}f":
            raise ImportFileError(_formulas(cell))
        elif event == "end" and element.tag == f"{MAIN}row":
            element.clear()


def workbook_open_safely(content: bytes):
    """The uploaded XLSX as a read-only openpyxl workbook (cell values, not formulas), once
    every check in the module docstring passes; raises ImportFileError with the form's message
    otherwise. The caller closes the workbook."""
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise ImportFileError(NOT_XLSX) from error
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS or sum(p.file_size for p in parts) > MAX_UNPACKED_BYTES:
            # A small file that unpacks to a huge one: refuse before reading any of it.
            raise ImportFileError(TOO_LARGE)
        try:
            damaged = archive.testzip()  # reads every part: a bad CRC, method or password
        except Exception as error:  # zlib.error, NotImplementedError, RuntimeError (encrypted)
            raise ImportFileError(NOT_XLSX) from error
        if damaged is not None:
            raise ImportFileError(NOT_XLSX)
        types = _content_types(archive)
        for name, kind in types.items():
            if name.lower().endswith((".xml", ".rels")) or kind.endswith(("+xml", "/xml")):
                for _, element in _parse(archive, name):
                    element.clear()
        _refuse_formulas(archive, _sheet_to_import(archive, types))
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True,
                             keep_links=False)
    except Exception as error:  # whatever else openpyxl finds wrong: the file, not the portal
        logger.info("allocation import: openpyxl refused a checked workbook: %r", error)
        raise ImportFileError(NOT_XLSX) from error
