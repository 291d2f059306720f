"""Figures shared between processes: what the worker computed for a committed figures version,
stored in `FiguresSnapshot` so that every web process can read it instead of computing it
(docs/adr/0024-figures-warmed-after-commit.md; the per-process cache in front of it is
`reporting.figures_cache`, ADR 0011).

Values are stored as JSON: plain values (the table's rows: numbers and strings), or a list of
model instances with their annotations (the regions); a file (the XLSX export's bytes) is stored
as it is in the row's binary column, which only a read of that name and key fetches. Anything
else is refused when written, never turned quietly into something else.
"""

import logging
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Model, Q

from core import clock

from .models import FiguresSnapshot

logger = logging.getLogger(__name__)

# The figures the worker warms (`reporting.figures_warm`): only for these does a reader that
# misses its own cache look for a snapshot (one query), so other names cost nothing more. The
# worker warms the XLSX export with nothing asked for; another export's first reader in a
# process pays that one query before writing its workbook, as before.
DASHBOARD = frozenset({"dashboard-regions", "dashboard-rows"})
EXPORT_XLSX = "export-xlsx"
WARMED = DASHBOARD | {EXPORT_XLSX}
# Raise when a deployment changes what a warmed figure holds (a new annotation on the regions,
# a new column in the rows): snapshots of another shape are then not read, only recomputed.
SHAPE = 1


def _encode(value: Any) -> tuple[dict, bytes | None]:
    """What is stored for `value`: its JSON, and its bytes when it is a file."""
    if isinstance(value, bytes):
        return {"shape": SHAPE, "bytes": len(value)}, value
    return _encode_json(value), None


def _encode_json(value: Any) -> dict:
    if isinstance(value, list) and value and all(isinstance(item, Model) for item in value):
        return {"shape": SHAPE, "model": value[0]._meta.label,
                "instances": [{name: attribute for name, attribute in vars(item).items()
                               if not name.startswith("_")} for item in value]}
    return {"shape": SHAPE, "plain": value}


def _decode(stored: dict, data: bytes | memoryview | None) -> Any:
    if stored.get("shape") != SHAPE:
        raise ValueError(f"a snapshot of shape {stored.get('shape')}, not {SHAPE}")
    if "bytes" in stored:
        if data is None or len(data) != stored["bytes"]:
            raise ValueError(f"a file of {stored['bytes']} bytes stored as "
                             f"{None if data is None else len(data)}")
        return bytes(data)
    if "plain" in stored:
        return stored["plain"]
    model = apps.get_model(stored["model"])
    concrete = {field.attname for field in model._meta.concrete_fields}
    instances = []
    for attributes in stored["instances"]:
        instance = model(**{name: value for name, value in attributes.items() if name in concrete})
        for name, value in attributes.items():
            if name not in concrete:
                setattr(instance, name, value)
        instance._state.adding = False
        instance._state.db = "default"
        instances.append(instance)
    return instances


def figures_snapshot_read(name: str, key: str, version: int) -> Any | None:
    """What the worker stored for `name` and `key` at this figures version, or None (not warmed
    yet, warmed at another version, or stored in a shape this code cannot read)."""
    row = (FiguresSnapshot.objects.filter(name=name, key=key, version=version)
           .values_list("value", "data").first())
    if row is None:
        return None
    try:
        return _decode(*row)
    except (LookupError, TypeError, ValueError):
        logger.warning("figures snapshot %s %s unreadable; computing it", name, key, exc_info=True)
        return None


def figures_snapshots_write(*, version: int, items: list[tuple[str, str, Any]]) -> int:
    """Store the figures computed at `version`, one row per (name, key), replacing what an
    earlier warm-up stored; rows of the same names under other keys (an export of an earlier
    day, a fund-year no longer the default) are deleted, so that only what the last warm-up
    computed is kept. A slower warm-up of an older version may overwrite a newer one: readers
    then find nothing for the current version and compute, never a wrong figure."""
    if not items:
        return 0
    now = clock.now()
    rows = []
    for name, key, value in items:
        encoded, data = _encode(value)
        rows.append(FiguresSnapshot(name=name, key=key, version=version, value=encoded,
                                    data=data, computed_at=now))
    keys: dict[str, set[str]] = {}
    for name, key, _ in items:
        keys.setdefault(name, set()).add(key)
    others = Q()
    for name, written in keys.items():
        others |= Q(name=name) & ~Q(key__in=written)
    with transaction.atomic():
        FiguresSnapshot.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["name", "key"],
            update_fields=["version", "value", "data", "computed_at"])
        FiguresSnapshot.objects.filter(others).delete()
    return len(rows)
