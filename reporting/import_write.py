"""Allocation import, the write: the rows of a checked file (`reporting.import_file`) applied
as published figures, all or none, each owing its partnership a funding recompute. The
remaining illustrative figures of each fund-year written are then re-shared so that its
national total still equals the published total (`reporting.import_reshare`)."""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core import clock
from core.errors import ApplicationError
from core.models import Provenance
from funding.models import Allocation, FinancialYear, Fund, RecomputeRequest
from funding.outbox import recompute_request
from partnerships.models import Partnership, Role
from partnerships.selectors import user_has_role

from .import_reshare import Reshare, reshare_plan
from .import_rows import ImportPreview, current_allocations

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    recomputes: int
    # The fund-years of the file, the one with most rows first: (fund code, year label).
    fund_years: tuple[tuple[str, str], ...] = ()
    # Illustrative figures re-shared to keep each national total (reporting/import_reshare.py).
    reshared: int = 0
    reshares: tuple[Reshare, ...] = ()


def _fund_years(preview: ImportPreview) -> tuple[tuple[str, str], ...]:
    counts: dict[tuple[int, int], int] = {}
    for change in preview.changes:
        counts[change.fund_id, change.year_id] = counts.get((change.fund_id, change.year_id), 0) + 1
    funds = Fund.objects.in_bulk({f for f, _ in counts})
    years = FinancialYear.objects.in_bulk({y for _, y in counts})
    ordered = sorted(counts, key=lambda k: -counts[k])  # stable: file order among equals
    return tuple((funds[f].code, years[y].label) for f, y in ordered)


@transaction.atomic
def allocations_import(*, preview: ImportPreview, by) -> ImportResult:
    """Write every new or changed figure of a checked file as published, with its source; all
    rows or none. Each allocation written owes its partnership a funding recompute."""
    if not user_has_role(by, Role.NRU_ADMIN):
        raise ApplicationError("Only an NRU administrator can import allocations.")
    if preview.errors:
        raise ApplicationError(
            f"The file has {len(preview.errors)} problem{'s' if len(preview.errors) != 1 else ''}: "
            "nothing was imported. Correct the rows and upload the file again."
        )
    changes = preview.to_write
    unchanged = len(preview.changes) - len(changes)
    fund_years = _fund_years(preview)
    if not changes:
        return ImportResult(created=0, updated=0, unchanged=unchanged, recomputes=0,
                            fund_years=fund_years)

    current = current_allocations({c.key for c in changes}, lock=True)
    for change in changes:
        allocation = current.get(change.key)
        as_previewed = (
            (allocation is None and change.allocation_id is None)
            or (allocation is not None and allocation.pk == change.allocation_id
                and (allocation.amount_pence, allocation.provenance, allocation.source_id)
                == (change.before_pence, change.before_provenance, change.before_source_id))
        )
        if not as_previewed:
            raise ApplicationError(
                "Some of these allocations changed after you previewed the file, so nothing was "
                "imported. Upload the file again to see the changes against today’s figures."
            )

    now = clock.now()
    note = f"Imported from {preview.filename} by {by.email} on {timezone.localdate(now):%-d %B %Y}"
    note = note[:300]
    updated, created = [], []
    for change in changes:
        allocation = current.get(change.key)
        if allocation is None:
            created.append(Allocation(
                partnership_id=change.partnership_id, fund_id=change.fund_id, year_id=change.year_id,
                amount_pence=change.amount_pence, provenance=Provenance.PUBLISHED,
                source_id=change.source_id, note=note, imported_at=now,
            ))
        else:
            allocation.amount_pence = change.amount_pence
            allocation.provenance = Provenance.PUBLISHED
            allocation.source_id = change.source_id
            allocation.note = note
            allocation.imported_at = allocation.updated_at = now
            updated.append(allocation)
    Allocation.objects.bulk_update(
        updated, ["amount_pence", "provenance", "source", "note", "imported_at", "updated_at"],
        batch_size=500)
    created = Allocation.objects.bulk_create(created, batch_size=500)

    reshares = reshare_plan({(c.fund_id, c.year_id) for c in changes})
    reshared = Allocation.objects.in_bulk([pk for plan in reshares for pk in plan.new_pence])
    for plan in reshares:
        for pk, pence in plan.new_pence.items():
            reshared[pk].amount_pence = pence
            reshared[pk].updated_at = now
    Allocation.objects.bulk_update(list(reshared.values()), ["amount_pence", "updated_at"],
                                   batch_size=500)

    written = sorted([*updated, *created, *reshared.values()], key=lambda a: a.pk)
    partnerships = Partnership.objects.in_bulk({a.partnership_id for a in written})
    for allocation in written:
        recompute_request(partnership=partnerships[allocation.partnership_id],
                          cause=RecomputeRequest.Cause.ALLOCATION_CHANGE, cause_id=allocation.pk)
    logger.info("allocation import %s by user %s: %s created, %s updated, %s illustrative "
                "re-shared", preview.filename, by.pk, len(created), len(updated), len(reshared))
    return ImportResult(created=len(created), updated=len(updated), unchanged=unchanged,
                        recomputes=len(written), fund_years=fund_years, reshared=len(reshared),
                        reshares=tuple(reshares))
