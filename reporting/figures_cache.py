"""The per-process figures cache of the dashboard and the published decisions (ADR 0011).

PostgreSQL triggers (funding migration 0005) move `funding.FiguresVersion` whenever a committed
transaction changed anything these figures are computed from; what is cached is keyed on that
version, so it is never served after a change. Behind it, for the dashboard's costliest figures
and its default XLSX export, the snapshots the worker computes right after each change
(`reporting.figures_snapshots`, docs/adr/0024-figures-warmed-after-commit.md).
"""

from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

from django.core.cache import caches
from django.core.signals import request_finished, request_started
from django.db import connection
from django.dispatch import receiver

from funding.models import FiguresVersion

from .figures_snapshots import WARMED, figures_snapshot_read

T = TypeVar("T")

# Within a request the version is read once (request_started / request_finished below).
_request_memo: ContextVar[dict | None] = ContextVar("figures_version_memo", default=None)
# While the worker warms the figures (`figures_recording`): what was computed, to be stored.
_recording: ContextVar[list | None] = ContextVar("figures_recording", default=None)


@receiver(request_started)
def _request_began(**kwargs):
    _request_memo.set({})


@receiver(request_finished)
def _request_ended(**kwargs):
    _request_memo.set(None)


def figures_version() -> int | None:
    """The version of the committed figures (`FiguresVersion`), or None when it cannot be
    trusted here: on a database without the triggers that move it, or inside a transaction,
    whose own writes move it only when it commits. One query, read once per request: a page
    shows the figures as they stood when it began."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    memo = _request_memo.get()
    if memo is not None and "version" in memo:
        return memo["version"]
    version = FiguresVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    if memo is not None:
        memo["version"] = version
    return version


def figures_cached(name: str, parts: tuple, compute: Callable[[], T]) -> T:
    """`compute()`, or what it returned before if the committed figures have not changed since:
    the per-process figures cache, keyed on `name`, `parts` and the figures version (ADR 0011).
    On a miss, a figure the worker warms (`figures_snapshots.WARMED`) is read from its snapshot
    for this version when there is one (ADR 0024).

    A write to anything the figures come from moves the version when it commits, so a cached
    value is never served after a change. Where the version cannot be trusted (`figures_version`
    is None) it is always computed. The cache's timeout only bounds memory."""
    version = figures_version()
    if version is None:
        value = compute()
        recording = _recording.get()
        if recording is not None and name in WARMED:
            recording.append((name, parts_key(parts), value))
        return value
    key = ":".join([name, str(version), *map(str, parts)])
    cache = caches["figures"]
    value = cache.get(key)
    if value is None:
        if name in WARMED:
            value = figures_snapshot_read(name, parts_key(parts), version)
        if value is None:
            value = compute()
        cache.set(key, value)
    return value


def parts_key(parts: tuple) -> str:
    """The key a figure cached under `parts` is stored under in its snapshot."""
    return ":".join(map(str, parts))


def figures_recording(work: Callable[[], object]) -> list[tuple[str, str, object]]:
    """Run `work` (inside the worker's transaction, where nothing is cached) and return the
    warmed figures it computed through `figures_cached`, as (name, key, value): the same keys a
    reader will look for, whatever the page asked for."""
    token = _recording.set([])
    try:
        work()
        return list(_recording.get() or [])
    finally:
        _recording.reset(token)
