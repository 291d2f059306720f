"""An announced cycle's awards as 360Giving open data (the 360Giving Data Standard 1.4, whose
schema is kept in `reporting/standards/360giving/`): one grant per partnership, fund and year,
as a JSON package and as the standard's flattened spreadsheet (made with flattentool).

- `amountAwarded` is the allocation; `awardDate` the cycle's announcement date (the date the
  award became public); `plannedDates` the financial year.
- `disbursementTransaction` is each movement of the release ledger on or before the date the
  figures are as at, dated when it was posted: what is held is not paid and is not reported.
- The funder is the Neighbourhood Renewal Unit and the recipient the partnership, each with a
  `360G-` prefixed local identifier (no registered identifier is sourced for either);
  `beneficiaryLocation` is the local authority with its GSS code.

Identifiers and the choices behind them: docs/adr/0023-exports-csvw-and-360giving.md.
"""

import json
import re
import secrets
import tempfile
import warnings
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from accreditation.models import Cycle
from funding.models import Allocation, FinancialYear, ReleaseEntry

from . import published
from .export_table import OGL, pounds_decimal, safe_text
from .models import AnnouncedDecision, Announcement

STANDARD_DIR = Path(__file__).resolve().parent / "standards" / "360giving"
GRANT_SCHEMA = STANDARD_DIR / "360-giving-schema.json"
PACKAGE_SCHEMA = STANDARD_DIR / "360-giving-package-schema.json"
VERSION = "1.4"

FUNDS = ("NRF", "CEF")  # the funds whose awards are published, where allocated
PREFIX = "360G-NRU"  # the publisher's local prefix: grants, transactions and organisations
FUNDER = {"id": PREFIX, "name": "Neighbourhood Renewal Unit"}
# The ONS entity of a GSS code's first three characters, as the geoCodeType code list names it.
GEO_CODE_TYPES = {"E06": "UA", "E07": "NMD", "E08": "MD", "E09": "LONB", "E10": "CTY"}


def _area_key(allocation: Allocation) -> str:
    """A partnership's part of an identifier: its authority's GSS code, else its slug."""
    authority = allocation.partnership.local_authority
    return authority.gss_code or allocation.partnership.slug


def recipient_id(allocation: Allocation) -> str:
    return f"{PREFIX}-LSP-{_area_key(allocation)}"


def grant_id(allocation: Allocation) -> str:
    return f"{PREFIX}-{allocation.fund.code}-{allocation.year.start_year}-{_area_key(allocation)}"


def _cycle_partnerships(cycle: Cycle, announcement: Announcement | None):
    """The partnerships of the cycle as published (an announcement's lines), or, before the
    announcement (NRU staff only), as they stand."""
    if announcement is not None:
        return AnnouncedDecision.objects.filter(announcement=announcement).values("partnership")
    return published.published_decisions(cycle).values("pk")


def _paid_on(entry_at: datetime) -> date:
    """The date a ledger movement took effect: the day it was posted, in the service's zone."""
    return timezone.localdate(entry_at)


def cycle_grants(cycle: Cycle, announcement: Announcement | None, *, as_at: date,
                 modified: datetime) -> list[dict]:
    """The cycle's awards as 360Giving grants, in the written answer's order (region, then
    authority, then fund). Three queries."""
    year = FinancialYear.objects.filter(start_year=cycle.year_start).first()
    if year is None:
        return []
    allocations = list(
        Allocation.objects.filter(year=year, fund__code__in=FUNDS,
                                  partnership__in=_cycle_partnerships(cycle, announcement))
        .select_related("fund", "year", "partnership__local_authority__region")
        .order_by("partnership__local_authority__region__name",
                  "partnership__local_authority__name", "fund__code")
    )
    paid: dict[int, list[tuple[int, int, datetime]]] = defaultdict(list)
    for entry in (ReleaseEntry.objects.filter(allocation__in=[a.pk for a in allocations])
                  .order_by("created_at", "pk")
                  .values_list("allocation_id", "pk", "amount_pence", "created_at")):
        allocation_id, pk, amount, at = entry
        if _paid_on(at) <= as_at:
            paid[allocation_id].append((pk, amount, at))
    award_date = announcement.announced_on if announcement else cycle.announcement_date
    return [_grant(a, paid[a.pk], cycle=cycle, award_date=award_date, modified=modified)
            for a in allocations]


def _grant(allocation: Allocation, paid: list, *, cycle: Cycle, award_date: date,
           modified: datetime) -> dict:
    fund, year = allocation.fund, allocation.year
    partnership = allocation.partnership
    authority = partnership.local_authority
    identifier = grant_id(allocation)
    location: dict = {"name": authority.name, "countryCode": "GB"}
    if authority.gss_code:
        location["geoCode"] = authority.gss_code
        if authority.gss_code[:3] in GEO_CODE_TYPES:
            location["geoCodeType"] = GEO_CODE_TYPES[authority.gss_code[:3]]
    recipient = {"id": recipient_id(allocation), "name": partnership.name}
    if partnership.accountable_body:
        recipient["description"] = f"Accountable body: {partnership.accountable_body}"
    return {
        "id": identifier,
        "title": f"{fund.name} {year.label}: {partnership.name}",
        "description": (
            f"{partnership.name}'s {fund.code} allocation for {year.label} "
            f"({allocation.get_provenance_display().lower()} figure), released as its "
            f"accreditation in the {cycle.name} cycle allows under the release policy."),
        "currency": "GBP",
        "amountAwarded": pounds_decimal(allocation.amount_pence),
        "amountDisbursed": pounds_decimal(sum(amount for _, amount, _ in paid)),
        "awardDate": award_date.isoformat(),
        "plannedDates": [{"startDate": f"{year.start_year}-04-01",
                          "endDate": f"{year.start_year + 1}-03-31"}],
        "recipientOrganization": [recipient],
        "fundingOrganization": [dict(FUNDER)],
        "grantProgramme": [{"code": fund.code, "title": fund.name}],
        "beneficiaryLocation": [location],
        "disbursementTransaction": [
            {"id": f"{identifier}-R{pk}", "currency": "GBP", "value": pounds_decimal(amount),
             "transactionDate": _paid_on(at).isoformat()}
            for pk, amount, at in paid
        ],
        "dateModified": modified.isoformat(),
    }


def cycle_package(cycle: Cycle, announcement: Announcement | None, *, as_at: date,
                  modified: datetime, download_url: str, access_url: str) -> dict | None:
    """The cycle's 360Giving package, or None when it has no awards (a package has at least
    one grant)."""
    grants = cycle_grants(cycle, announcement, as_at=as_at, modified=modified)
    if not grants:
        return None
    funds = " and ".join(sorted({g["grantProgramme"][0]["code"] for g in grants},
                                key=FUNDS.index))
    return {
        "version": VERSION,
        "title": f"Neighbourhood Renewal Unit: {funds} awards of the {cycle.name} "
                 "accreditation cycle",
        "description": (
            f"One grant per Local Strategic Partnership, fund and year: the allocation awarded, "
            f"and the money released from the release ledger on or before {as_at:%-d %B %Y} "
            "as disbursements. Money held until a decision or a review is not reported as paid."
            + ("" if announcement else " A preview for NRU staff: not yet announced.")),
        "identifier": f"{PREFIX}-{cycle.year_start}",
        "issued": (announcement.announced_on if announcement else as_at).isoformat(),
        "modified": modified.isoformat(),
        "publisher": {"identifier": PREFIX, "name": FUNDER["name"]},
        "license": OGL,
        "downloadURL": download_url,
        "accessURL": access_url,
        "grants": grants,
    }


def package_json(package: dict) -> str:
    """The package as JSON text with every amount an exact number (Decimal, never a float)."""
    marker = secrets.token_hex(8)

    def number(value):
        if isinstance(value, Decimal):
            return f"{marker}{value}{marker}"
        raise TypeError(f"{type(value).__name__} is not JSON")

    text = json.dumps(package, default=number, ensure_ascii=False, indent=1)
    return re.sub(f'"{marker}(-?[0-9.]+){marker}"', r"\1", text)


def _inert(value):
    """Every text of the package written so that a spreadsheet shows it as text."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, list):
        return [_inert(item) for item in value]
    if isinstance(value, dict):
        return {key: _inert(item) for key, item in value.items()}
    return value


def package_xlsx(package: dict) -> bytes:
    """The package's grants as the 360Giving flattened spreadsheet: a "grants" sheet with the
    standard's column titles (one-to-one organisations rolled up into it) and a sheet for each
    list, such as the disbursements. flattentool works on files: a temporary directory."""
    from flattentool import flatten
    from flattentool.exceptions import FlattenToolWarning

    with tempfile.TemporaryDirectory() as directory, warnings.catch_warnings():
        # The schema leaves some fields without a title; the headings are paths, not titles.
        warnings.simplefilter("ignore", FlattenToolWarning)
        source = Path(directory) / "package.json"
        source.write_text(package_json(_inert(package)), encoding="utf-8")
        output = Path(directory) / "grants"
        flatten(str(source), schema=str(GRANT_SCHEMA), output_name=str(output),
                output_format="xlsx", main_sheet_name="grants", root_list_path="grants",
                root_id="", remove_empty_schema_columns=True)
        return output.read_bytes()
