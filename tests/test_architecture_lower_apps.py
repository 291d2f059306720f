"""The two lowest layers, checked on every module (views, template tags and app configs too):
core imports no other app of the project, and partnerships none above it. What core shows for
the apps above it (navigation, tag colours, home panels) they register in core/registry.py."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = {"core", "partnerships", "accreditation", "funding", "performance", "reference", "lsp_portal"}
# lsp_portal stays allowed in partnerships only while the funding outbox's Celery hand-off
# (partnerships/services.py, recompute_enqueue) is still there.
ALLOWED = {"core": {"core"}, "partnerships": {"core", "partnerships", "lsp_portal"}}


def imported_apps(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & APPS


def modules():
    for app, allowed in ALLOWED.items():
        for path in sorted((ROOT / app).rglob("*.py")):
            yield pytest.param(path, allowed, id=str(path.relative_to(ROOT)))


@pytest.mark.parametrize(("path", "allowed"), list(modules()))
def test_a_lower_app_imports_no_app_above_it(path, allowed):
    assert imported_apps(path) <= allowed, (
        f"{path.relative_to(ROOT)} imports {sorted(imported_apps(path) - allowed)}"
    )
