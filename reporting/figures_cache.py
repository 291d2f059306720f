"""The per-process figures cache of the dashboard and the published decisions (ADR 0011).

PostgreSQL triggers (funding migration 0005) move `funding.FiguresVersion` whenever a committed
transaction changed anything these figures are computed from; what is cached is keyed on that
version, so it is never served after a change.
"""

from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

from django.core.cache import caches
from django.core.signals import request_finished, request_started
from django.db import connection
from django.dispatch import receiver

from funding.models import FiguresVersion

T = TypeVar("T")

# Within a request the version is read once (request_started / request_finished below).
_request_memo: ContextVar[dict | None] = ContextVar("figures_version_memo", default=None)


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

    A write to anything the figures come from moves the version when it commits, so a cached
    value is never served after a change. Where the version cannot be trusted (`figures_version`
    is None) it is always computed. The cache's timeout only bounds memory."""
    version = figures_version()
    if version is None:
        return compute()
    key = ":".join([name, str(version), *map(str, parts)])
    cache = caches["figures"]
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value)
    return value
