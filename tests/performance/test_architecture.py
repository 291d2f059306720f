"""Where the performance app sits (README.md, "Dependencies run one way"): it reads
partnerships (and may read accreditation); no lower app's models, services, selectors,
permissions or tasks import it; its own such modules do not reach up into funding; and its
trajectory rule is pure Python."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE_MODULES = ["models", "services", "selectors", "permissions", "tasks", "rules"]


def imported_top_levels(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _modules(*apps):
    for app in apps:
        for name in CORE_MODULES:
            # A module, or a package of modules (accreditation/services/).
            for path in [ROOT / app / f"{name}.py", *sorted((ROOT / app / name).glob("*.py"))]:
                if path.exists():
                    yield pytest.param(path, id=str(path.relative_to(ROOT)))


@pytest.mark.parametrize("path", list(_modules("core", "partnerships", "accreditation", "funding")))
def test_no_other_app_builds_on_performance(path):
    assert "performance" not in imported_top_levels(path)


@pytest.mark.parametrize("path", list(_modules("performance")))
def test_performance_does_not_reach_into_funding(path):
    assert "funding" not in imported_top_levels(path)


def test_the_trajectory_rule_is_pure_python():
    imported = imported_top_levels(ROOT / "performance" / "rules.py")
    assert not imported & {"django", "core", "partnerships", "accreditation", "funding"}, imported
