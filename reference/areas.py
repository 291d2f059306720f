"""The nine Government Office regions, the 88 NRF areas (`nrf_areas_2001_04.csv`): their local
authorities and partnerships, and each area's NRF figures as the file gives them (the figures
for every area and year are worked out in `reference.allocations`).

- Slugs are `django.utils.text.slugify(name)`: lower case, spaces to hyphens, punctuation
  dropped (`kingston-upon-hull`, `brighton-hove`, `yorkshire-and-the-humber`).
- A local authority's provenance follows its membership evidence: A (named in an NRF table)
  published, B (indirect evidence) derived, C (not yet confirmed) illustrative.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from django.utils.text import slugify

from core.models import Provenance, Source
from partnerships.models import LocalAuthority, MembershipEvidence, Partnership, Region

from .common import LoadSummary, Problems, csv_rows, pounds_as_pence, upsert
from .sources import SOURCES_FILE
from .years import NRF_RATIO, NRF_YEARS, nrf_column, year_label

AREAS_FILE = "nrf_areas_2001_04.csv"

REGIONS = (
    "East Midlands",
    "East of England",
    "London",
    "North East",
    "North West",
    "South East",
    "South West",
    "West Midlands",
    "Yorkshire and The Humber",
)

EVIDENCE_PROVENANCE = {
    MembershipEvidence.NAMED: Provenance.PUBLISHED,
    MembershipEvidence.INDIRECT: Provenance.DERIVED,
    MembershipEvidence.UNCONFIRMED: Provenance.ILLUSTRATIVE,
}


@dataclass
class Area:
    row: int
    name: str
    slug: str
    gss_code: str | None
    region: str
    evidence: str
    membership_sources: tuple[str, ...]
    published: dict[int, int] = field(default_factory=dict)
    published_source: dict[int, tuple[str, str]] = field(default_factory=dict)
    derived: dict[int, int] = field(default_factory=dict)
    derivation_note: str = ""

    @property
    def partnership_name(self) -> str:
        return f"{self.name} LSP"

    @property
    def accountable_body(self) -> str:
        return f"{self.name} Council"


AREA_COLUMNS = (
    "authority", "gss_code_lad18", "go_region", "membership_evidence", "membership_source",
    *(nrf_column(y, "published") for y in NRF_YEARS),
    nrf_column(2001, "derived"), nrf_column(2002, "derived"), nrf_column(2003, "basis"),
    "derivation_note", "allocation_sources",
)
GSS_CODE = re.compile(r"^[ENSW]\d{8}$")
SOURCE_IN_TEXT = re.compile(r"\bfrom ([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)")


def region_problem(region: str) -> str:
    return (f"'{region}' is not a Government Office region "
            f"(expected one of: {', '.join(REGIONS)})")


def _allocation_sources(text: str) -> dict[int, tuple[str, str]]:
    """Source key (and the phrase naming it) for each year, from text such as
    "2001-02..2003-04 from HC2001 (...) ; 2003-04 exact (to GBP 1) from HL2003".
    A phrase that starts with 2003-04 covers that year only; any other covers every year.
    Later phrases override earlier ones."""
    found: dict[int, tuple[str, str]] = {}
    for phrase in (p.strip() for p in text.split(";")):
        match = SOURCE_IN_TEXT.search(phrase)
        if not match:
            continue
        years = (2003,) if phrase.startswith("2003-04") else NRF_YEARS
        for year in years:
            found[year] = (match.group(1), phrase)
    return found


def areas_read(directory: Path, sources: dict[str, str], problems: Problems) -> list[Area]:
    f = AREAS_FILE
    areas: list[Area] = []
    seen: dict[str, Counter] = {"name": Counter(), "slug": Counter(), "gss": Counter()}
    for number, row in csv_rows(directory, f, AREA_COLUMNS, problems):
        before = len(problems)
        name = row["authority"]
        if not name:
            problems.add(f, number, "authority", "is empty")
        slug = slugify(name)
        for kind, value in (("name", name), ("slug", slug), ("gss", row["gss_code_lad18"])):
            if value and seen[kind][value]:
                column = "gss_code_lad18" if kind == "gss" else "authority"
                problems.add(f, number, column, f"'{value}' appears twice")
            seen[kind][value] += 1
        gss = row["gss_code_lad18"] or None
        if gss and not GSS_CODE.match(gss):
            problems.add(f, number, "gss_code_lad18", f"'{gss}' is not a GSS code like E08000030")
        if row["go_region"] not in REGIONS:
            problems.add(f, number, "go_region", region_problem(row["go_region"]))
        evidence = row["membership_evidence"]
        if evidence not in MembershipEvidence.values:
            problems.add(f, number, "membership_evidence", f"'{evidence}' is not A, B or C")
        tokens = [t.strip() for t in row["membership_source"].split(";") if t.strip()]
        unknown = [t for t in tokens if t not in sources]
        if unknown and evidence != MembershipEvidence.UNCONFIRMED:
            problems.add(
                f, number, "membership_source",
                f"names {', '.join(repr(t) for t in unknown)}, not a key in {SOURCES_FILE} "
                "(only evidence C may be unsourced)",
            )

        def amount(column: str, number=number, row=row) -> int | None:
            return pounds_as_pence(row[column], file=f, row=number, field_name=column,
                                   problems=problems)

        published = {y: p for y in NRF_YEARS
                     if (p := amount(nrf_column(y, "published"))) is not None}
        derived = {y: p for y in (2001, 2002)
                   if (p := amount(nrf_column(y, "derived"))) is not None}
        basis = amount(nrf_column(2003, "basis"))
        year_sources = _allocation_sources(row["allocation_sources"])
        for year in published:
            if year not in year_sources:
                problems.add(f, number, "allocation_sources",
                             f"names no source for the published {year_label(year)} figure")
            elif year_sources[year][0] not in sources:
                problems.add(f, number, "allocation_sources",
                             f"'{year_sources[year][0]}' is not a key in {SOURCES_FILE}")
        if derived:
            if basis is None or basis != published.get(2003):
                problems.add(f, number, nrf_column(2003, "basis"),
                             "derived figures need a basis equal to the published 2003/04 figure")
            else:
                for year, pence in derived.items():
                    expected = Fraction(basis * NRF_RATIO[year], NRF_RATIO[2003])
                    if abs(pence - expected) > 100:
                        problems.add(f, number, nrf_column(year, "derived"),
                                     "does not follow the 2 : 3 : 4 rule from the 2003/04 basis")
        if len(problems) == before:
            areas.append(Area(
                row=number, name=name, slug=slug, gss_code=gss, region=row["go_region"],
                evidence=evidence, membership_sources=tuple(t for t in tokens if t in sources),
                published=published,
                published_source={y: year_sources[y] for y in published},
                derived=derived, derivation_note=row["derivation_note"],
            ))
    return areas


def regions_write(summary: LoadSummary) -> dict[str, Region]:
    regions = {}
    for name in REGIONS:
        regions[name], outcome = upsert(Region, {"slug": slugify(name)}, {"name": name})
        summary.record("regions", outcome)
    return regions


def areas_write(areas: list[Area], *, regions: dict[str, Region], sources: dict[str, Source],
                summary: LoadSummary) -> dict[str, Partnership]:
    """Each area's local authority (with its membership sources) and partnership, by area name."""
    partnerships = {}
    for area in areas:
        authority, outcome = upsert(LocalAuthority, {"name": area.name}, {
            "slug": area.slug, "gss_code": area.gss_code, "region_id": regions[area.region].pk,
            "is_nrf_area": True, "membership_evidence": area.evidence,
            "provenance": EVIDENCE_PROVENANCE[area.evidence],
        })
        wanted = {sources[k].pk for k in area.membership_sources}
        if set(authority.membership_sources.values_list("pk", flat=True)) != wanted:
            authority.membership_sources.set(wanted)
            outcome = "changed" if outcome == "unchanged" else outcome
        summary.record("local authorities", outcome)
        partnerships[area.name], outcome = upsert(
            Partnership, {"local_authority_id": authority.pk},
            {"name": area.partnership_name, "slug": area.slug,
             "accountable_body": area.accountable_body},
        )
        summary.record("partnerships", outcome)
    return partnerships
