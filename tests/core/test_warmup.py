"""lsp_portal/warmup.py: what a web process does before its first request."""

from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines

from lsp_portal.warmup import warm_up


def _cached_template_names() -> set[str]:
    loader = engines["django"].engine.template_loaders[0]
    return set(loader.get_template_cache)  # keyed by name (a skip list adds a suffix)


@pytest.mark.django_db
def test_every_project_template_is_compiled_without_touching_the_database(django_assert_num_queries):
    engines["django"].engine.template_loaders[0].reset()
    project = Path(settings.BASE_DIR) / "templates"
    names = {str(p.relative_to(project)) for p in project.rglob("*.html")}
    assert len(names) > 50
    assert not names & _cached_template_names()

    with django_assert_num_queries(0):
        done = warm_up()

    assert done["skipped"] == 0
    assert done["templates"] >= len(names)
    missing = names - _cached_template_names()
    assert not missing, f"not compiled by the warm-up: {sorted(missing)[:10]}"
