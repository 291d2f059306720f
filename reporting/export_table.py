"""What every export is made of: named, typed columns, the rows, and what the file is (title,
source, provenance, licence, when it was written and the date its figures are as at).

The CSV writer (`reporting.exports.csv_lines`), the CSV on the Web metadata
(`reporting.csvw`) and the spreadsheet writer (`reporting.spreadsheet`) all read this one
description, so a column's title, type and unit are said once.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

# Kinds of column: how a value is typed in CSVW and formatted in a spreadsheet.
TEXT = "text"
MONEY = "money"  # Decimal pounds with two places
PENCE = "pence"  # whole pence, an integer
SHARE = "share"  # a Decimal fraction (0.67 = 67%)
DATE = "date"
INTEGER = "integer"

OGL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
OGL_NAME = "Open Government Licence v3.0"

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    name: str  # machine name (CSVW `name`): lower case, no spaces
    title: str  # the header row's text
    kind: str = TEXT
    description: str = ""


@dataclass(frozen=True)
class ExportTable:
    title: str
    columns: list[Column]
    rows: Iterable[list]
    as_at: date  # the date the figures are as at
    generated_at: datetime
    source: str  # where the figures come from (`dc:source`)
    provenance: str  # what each figure's provenance means
    notes: list[tuple[str, str]] = field(default_factory=list)  # what else the file says
    filename_stem: str = "export"
    sheet_title: str = "Data"
    licence: str = OGL
    rights: str = ""

    @property
    def header(self) -> list[str]:
        return [column.title for column in self.columns]

    def notes_text(self) -> list[tuple[str, str]]:
        """Everything said about the file, as labelled lines (the XLSX's Notes sheet)."""
        return [
            ("Title", self.title),
            ("Figures as at", f"{self.as_at:%-d %B %Y}"),
            ("Generated", f"{self.generated_at:%-d %B %Y %H:%M} ({self.generated_at.tzname()})"),
            *self.notes,
            ("Source", self.source),
            ("Provenance", self.provenance),
            ("Licence", f"{OGL_NAME} ({self.licence})" if self.licence == OGL else self.licence),
            *([("Rights", self.rights)] if self.rights else []),
        ]


def safe_text(value: str) -> str:
    """Text a spreadsheet shows as text: a leading apostrophe stops it being run as a formula."""
    if value and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def pounds_decimal(pence: int | None) -> Decimal | None:
    """Whole pence as an exact Decimal of pounds with two places (123456 -> 1234.56)."""
    if pence is None:
        return None
    return Decimal(int(pence)).scaleb(-2)


def share(part: int | None, whole: int | None) -> Decimal | None:
    """`part / whole` exactly to four places (a fraction: 0.6700 = 67%), None without a whole."""
    if part is None or not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))
