"""lsp_portal/warmup.py: what a web process does before its first request."""

import contextlib
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines

from lsp_portal.warmup import warm_up


def _cached_template_names() -> set[str]:
    loader = engines["django"].engine.template_loaders[0]
    return set(loader.get_template_cache)  # keyed by name (a skip list adds a suffix)


def _sockets() -> int:
    found = 0
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):  # closed since it was listed
            found += os.readlink(fd).startswith("socket:")
    return found


@pytest.mark.django_db
def test_every_project_template_is_compiled_without_touching_a_database_or_broker(django_assert_num_queries):
    engines["django"].engine.template_loaders[0].reset()
    project = Path(settings.BASE_DIR) / "templates"
    names = {str(p.relative_to(project)) for p in project.rglob("*.html")}
    assert len(names) > 50
    assert not names & _cached_template_names()

    sockets = _sockets()
    with django_assert_num_queries(0):
        done = warm_up()
    assert _sockets() == sockets, "the warm-up connected to something"

    assert done["skipped"] == 0
    assert done["templates"] >= len(names)
    missing = names - _cached_template_names()
    assert not missing, f"not compiled by the warm-up: {sorted(missing)[:10]}"
