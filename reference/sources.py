"""The published sources (`sources.csv`): each key and its citation."""

from pathlib import Path

from core.models import Source

from .common import LoadSummary, Problems, csv_rows, upsert

SOURCES_FILE = "sources.csv"


def sources_read(directory: Path, problems: Problems) -> dict[str, str]:
    sources: dict[str, str] = {}
    for number, row in csv_rows(directory, SOURCES_FILE, ("key", "citation"), problems):
        if not row["key"]:
            problems.add(SOURCES_FILE, number, "key", "is empty")
        elif row["key"] in sources:
            problems.add(SOURCES_FILE, number, "key", f"'{row['key']}' appears twice")
        elif not row["citation"]:
            problems.add(SOURCES_FILE, number, "citation", "is empty")
        else:
            sources[row["key"]] = row["citation"]
    return sources


def sources_write(sources: dict[str, str], summary: LoadSummary) -> dict[str, Source]:
    written = {}
    for key, citation in sources.items():
        written[key], outcome = upsert(Source, {"key": key}, {"citation": citation})
        summary.record("sources", outcome)
    return written
