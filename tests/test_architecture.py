"""The layers of docs/architecture.md, enforced by import-linter's contracts in pyproject.toml
(`make lint` and CI run `lint-imports`; this test runs it too, so `make test` fails on an upward
import as well). Also shown here: that the contracts catch an upward import added to any module,
and that nothing below funding sends funding's tasks by name."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["core", "partnerships", "performance", "accreditation", "funding", "reporting", "reference",
        "lsp_portal"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120,
    )


@pytest.fixture(scope="module")
def copy_of_the_apps(tmp_path_factory) -> Path:
    """The apps and the contracts, copied so that a test may add an import to them."""
    root = tmp_path_factory.mktemp("layers")
    for app in APPS:
        shutil.copytree(ROOT / app, root / app,
                        ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("module", "upward"), [
    ("accreditation/notifications.py", "funding.models"),
    ("partnerships/forms.py", "funding.models"),
    ("core/money.py", "partnerships.models"),
    ("performance/views.py", "accreditation.models"),
    ("funding/rules.py", "django.db"),
    ("funding/ledger.py", "reporting.dashboard"),
])
def test_an_upward_import_anywhere_breaks_a_contract(copy_of_the_apps, module, upward):
    path = copy_of_the_apps / module
    original = path.read_text()
    path.write_text(original + f"\nimport {upward}  # added by the test\n")
    try:
        result = lint_imports(copy_of_the_apps)
    finally:
        path.write_text(original)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout


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
