"""Reference data: the nine Government Office regions, the 88 NRF areas and their partnerships,
the published sources, the funds NRF and CEF, the financial years 2001/02 to 2004/05 (with a
release-in-full policy for NRF 2001/02 and CEF), every NRF allocation, the regional CEF budgets
and the national floor targets.

The CSV files live in `reference/data/` (`reference.common.DATA_DIR`). `reference_load()` reads
and validates every file first and writes only if all of it is good, in one transaction; a
second run with the same files changes nothing (rows are matched on natural keys and saved only
when a value differs, so even `updated_at` stays put). Each kind of data has its own module:

- `reference.sources`: the published sources;
- `reference.areas`: regions, local authorities and partnerships;
- `reference.years`: funds, financial years and the release-in-full policies;
- `reference.allocations`: NRF allocations (how each area's figure is chosen is in that module's
  docstring) and CEF regional budgets;
- `reference.floor_targets`: the national floor targets.

The `reference` app sits above the others: it writes into core, partnerships, funding and
performance alike, as a management command would, and no other app imports it.
"""

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from .allocations import (
    Budget,
    Figure,
    allocations_write,
    budgets_read,
    budgets_write,
    nrf_figures,
    recomputes_request,
)
from .areas import Area, areas_read, areas_write, regions_write
from .common import DATA_DIR, LoadSummary, Problems, ReferenceDataError
from .floor_targets import FloorTargetRow, floor_targets_read, floor_targets_write
from .sources import sources_read, sources_write
from .years import funds_write, published_totals_write, release_in_full_policies_write, years_write


@dataclass
class ReferenceData:
    sources: dict[str, str]
    areas: list[Area]
    budgets: list[Budget]
    figures: dict[tuple[str, int], Figure]
    floor_targets: list[FloorTargetRow] = field(default_factory=list)


def reference_read(*, directory: Path | str = DATA_DIR) -> ReferenceData:
    """Read and validate every file; raise ReferenceDataError listing each problem."""
    directory = Path(directory)
    problems = Problems()
    sources = sources_read(directory, problems)
    areas = areas_read(directory, sources, problems)
    budgets = budgets_read(directory, sources, problems)
    floor_targets = floor_targets_read(directory, sources, problems)
    figures = nrf_figures(areas, problems) if not problems else {}
    if problems:
        raise ReferenceDataError(problems)
    return ReferenceData(sources=sources, areas=areas, budgets=budgets, figures=figures,
                         floor_targets=floor_targets)


def _write(data: ReferenceData, summary: LoadSummary) -> None:
    sources = sources_write(data.sources, summary)
    regions = regions_write(summary)
    partnerships = areas_write(data.areas, regions=regions, sources=sources, summary=summary)
    funds = funds_write(summary)
    years = years_write(summary)
    release_in_full_policies_write(funds, years, summary)
    published_totals_write(funds, years, summary)
    changed = allocations_write(data.figures, partnerships=partnerships, funds=funds, years=years,
                                sources=sources, summary=summary)
    budgets_write(data.budgets, regions=regions, funds=funds, years=years, sources=sources,
                  summary=summary)
    recomputes_request(changed, summary)
    floor_targets_write(data.floor_targets, summary)


def reference_load(*, directory: Path | str = DATA_DIR) -> LoadSummary:
    """Validate every file, then write everything in one transaction (or nothing at all)."""
    data = reference_read(directory=directory)
    summary = LoadSummary(directory=Path(directory))
    with transaction.atomic():
        _write(data, summary)
    return summary
