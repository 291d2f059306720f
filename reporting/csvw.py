"""CSV on the Web (W3C CSVW) metadata for an export: the companion `<file>.csv-metadata.json`
that says what the CSV's columns are (names, titles, datatypes, units of money), where the
figures come from, under which licence, and the date they are as at. Served at its own URL,
linked from the page and named in the CSV's `Link: <...>; rel="describedby"` header."""

from .export_table import DATE, INTEGER, MONEY, PENCE, SHARE, Column, ExportTable

CONTEXT = "http://www.w3.org/ns/csvw"
MEDIA_TYPE = "application/csvw+json"

DATATYPES: dict[str, object] = {
    MONEY: "decimal",
    PENCE: "integer",
    SHARE: {"base": "decimal", "minimum": 0},
    DATE: {"base": "date", "format": "yyyy-MM-dd"},
    INTEGER: "integer",
}


def _column(column: Column) -> dict:
    described: dict = {"name": column.name, "titles": column.title}
    datatype = DATATYPES.get(column.kind, "string")
    described["datatype"] = datatype
    if column.description:
        described["dc:description"] = column.description
    if column.kind == MONEY:
        described["schema:unitCode"] = "GBP"
        described["schema:unitText"] = "pounds sterling, to the penny"
    elif column.kind == PENCE:
        described["schema:unitCode"] = "GBP"
        described["schema:unitText"] = "pence (whole pence: 100 is £1.00)"
    elif column.kind == SHARE:
        described["schema:unitText"] = "a fraction: 0.67 is 67%"
    return described


def metadata_link(url: str) -> str:
    """The CSV's `Link` header naming its metadata."""
    return f'<{url}>; rel="describedby"; type="{MEDIA_TYPE}"'


def csvw_metadata(table: ExportTable, *, csv_url: str) -> dict:
    """The table's CSVW metadata (a JSON object) for the CSV served at `csv_url`."""
    notes = "; ".join(f"{label}: {said}" for label, said in table.notes)
    return {
        "@context": [CONTEXT, {"@language": "en"}],
        "url": csv_url,
        "dc:title": table.title,
        "dc:description": (f"{table.title}, figures as at {table.as_at:%-d %B %Y}."
                           + (f" {notes}." if notes else "")),
        "dc:source": table.source,
        "dc:provenance": table.provenance,
        "dc:license": {"@id": table.licence},
        **({"dc:rights": table.rights} if table.rights else {}),
        "dc:created": {"@value": table.generated_at.isoformat(), "@type": "xsd:dateTime"},
        # The date the figures are as at: the figures are as they stood at the end of this day.
        "dc:temporal": {"@value": table.as_at.isoformat(), "@type": "xsd:date"},
        "dialect": {"header": True, "encoding": "utf-8", "headerRowCount": 1},
        "tableSchema": {"columns": [_column(column) for column in table.columns]},
    }
