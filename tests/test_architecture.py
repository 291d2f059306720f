"""The dependency rule, checked on the source: core <- partnerships <- accreditation <- funding <-
reporting. Models, services, selectors, permissions and tasks of a lower app never import a higher
one (views, letters and data loaders sit on top and may read any app). funding/rules.py imports
nothing from Django or the apps."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["core", "partnerships", "accreditation", "funding", "reporting"]
CORE_MODULES = ["models", "services", "selectors", "permissions", "tasks", "rules", "errors", "money",
                # funding's services and selectors, by concern
                "basis", "ledger", "outbox", "policies"]


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def lower_layer_modules():
    for index, app in enumerate(LAYERS):
        higher = set(LAYERS[index + 1:])
        for name in CORE_MODULES:
            # A module, or a package of modules (accreditation/services/).
            for path in [ROOT / app / f"{name}.py", *sorted((ROOT / app / name).glob("*.py"))]:
                if path.exists():
                    yield pytest.param(path, higher, id=str(path.relative_to(ROOT)))


@pytest.mark.parametrize(("path", "higher"), list(lower_layer_modules()))
def test_lower_app_does_not_import_a_higher_one(path, higher):
    assert not (imported_top_levels(path) & higher), (
        f"{path.relative_to(ROOT)} imports {sorted(imported_top_levels(path) & higher)}"
    )


def test_the_release_rule_is_pure_python():
    imported = imported_top_levels(ROOT / "funding" / "rules.py")
    assert not imported & {"django", *LAYERS}, sorted(imported)


def _task_names() -> set[str]:
    from lsp_portal.celery import app

    return {name for name in app.tasks if name.startswith("funding.")}


@pytest.mark.parametrize("app", ["core", "partnerships", "accreditation", "performance"])
def test_nothing_below_funding_sends_its_tasks_by_name(app):
    """Funding owns its outbox (funding/outbox.py): a lower app announces what happened and
    funding decides what it owes; it never names a funding task."""
    names = _task_names()
    assert "funding.releases_recompute" in names
    found = []
    for path in sorted((ROOT / app).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Constant) and node.value in names:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value}")
    assert not found, found
