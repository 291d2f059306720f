"""No module of the apps reads the time itself: every rule that depends on "today" asks
core.clock (docs/adr/0017-training-clock.md). Parsed, not grepped, so a comment or a string
that mentions timezone.now() is not a finding, and an aliased import is."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = ["core", "partnerships", "performance", "accreditation", "funding", "reporting", "reference",
        "lsp_portal"]
ALLOWED = {Path("core/clock.py")}  # the one place that reads the real time

# (module, attribute): called or referenced, each is a read of the real clock.
CLOCK_READS = {
    ("django.utils.timezone", "now"),
    ("datetime.date", "today"),
    ("datetime.datetime", "now"),
    ("datetime.datetime", "today"),
    ("datetime.datetime", "utcnow"),
}
# Read the real clock only when called with no argument (with one, they convert a given time).
CLOCK_READS_WITHOUT_ARGUMENTS = {
    ("django.utils.timezone", "localdate"),
    ("django.utils.timezone", "localtime"),
}
# Field options that stamp rows with the real time on save.
AUTO_NOW = {"auto_now", "auto_now_add"}


def app_modules() -> list[Path]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts or relative in ALLOWED:
                continue
            found.append(relative)
    return found


def _bound_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> what it stands for, from the module's imports: `timezone` ->
    `django.utils.timezone`, `date` -> `datetime.date`, `dt` -> `datetime`."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.AST, names: dict[str, str]) -> str | None:
    """`timezone.now` -> `django.utils.timezone.now`, through the module's imports."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in names:
        return None
    return ".".join([names[node.id], *reversed(parts)])


def clock_reads(source: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """(line, what) for every direct read of the real clock in the source."""
    tree = ast.parse(source, filename=filename)
    names = _bound_names(tree)
    reads = {".".join(pair) for pair in CLOCK_READS}
    reads_bare = {".".join(pair) for pair in CLOCK_READS_WITHOUT_ARGUMENTS}
    called = {id(node.func): node for node in ast.walk(tree) if isinstance(node, ast.Call)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Name)):
            target = _dotted(node, names)
            if target in reads:
                what = f"{target}()" if id(node) in called else f"{target} (as a value)"
                found.append((node.lineno, what))
            elif target in reads_bare and id(node) not in called:
                found.append((node.lineno, f"{target} (as a value: called later without a time)"))
            elif target in reads_bare:
                call = called[id(node)]
                if not call.args and not call.keywords:
                    found.append((node.lineno, f"{target}() without a time"))
        elif isinstance(node, ast.keyword) and node.arg in AUTO_NOW:
            found.append((node.value.lineno, f"{node.arg}= (stamps the real time; use "
                                             "core.models.UpdatedAtField or default=clock.now)"))
    return sorted(found)


def test_no_app_module_reads_the_clock_itself():
    findings = []
    for path in app_modules():
        for line, what in clock_reads((ROOT / path).read_text(), str(path)):
            findings.append(f"{path}:{line}: {what}")
    assert not findings, (
        "Read the service's clock through core.clock (clock.now(), clock.today(); "
        "default=clock.now for a field), not directly:\n  " + "\n  ".join(findings)
    )


def test_the_lint_sees_the_modules_of_every_app():
    modules = {str(p) for p in app_modules()}
    assert {"accreditation/services/decisions.py", "funding/ledger.py", "reporting/api.py",
            "core/models.py", "reference/demo.py"} <= modules
    assert not any("migrations" in m or m == "core/clock.py" for m in modules)


@pytest.mark.parametrize(("source", "expected"), [
    ("from django.utils import timezone\nx = timezone.now()", [(2, "django.utils.timezone.now()")]),
    ("from django.utils import timezone as tz\nx = tz.now()", [(2, "django.utils.timezone.now()")]),
    ("from django.utils.timezone import now\nx = now()", [(2, "django.utils.timezone.now()")]),
    ("import django.utils.timezone\nx = django.utils.timezone.now()",
     [(2, "django.utils.timezone.now()")]),
    ("from django.db import models\nfrom django.utils import timezone\n"
     "f = models.DateTimeField(default=timezone.now)",
     [(3, "django.utils.timezone.now (as a value)")]),
    ("from datetime import date\nd = date.today()", [(2, "datetime.date.today()")]),
    ("import datetime as dt\nd = dt.date.today()", [(2, "datetime.date.today()")]),
    ("import datetime\nd = datetime.datetime.now()", [(2, "datetime.datetime.now()")]),
    ("from datetime import datetime\nd = datetime.utcnow()", [(2, "datetime.datetime.utcnow()")]),
    ("from django.utils import timezone\nd = timezone.localdate()",
     [(2, "django.utils.timezone.localdate() without a time")]),
    ("from django.utils import timezone\nd = timezone.localtime()",
     [(2, "django.utils.timezone.localtime() without a time")]),
    ("from django.db import models\nfrom django.utils import timezone\n"
     "f = models.DateField(default=timezone.localdate)",
     [(3, "django.utils.timezone.localdate (as a value: called later without a time)")]),
    ("from django.db import models\nf = models.DateTimeField(auto_now=True)",
     [(2, "auto_now= (stamps the real time; use core.models.UpdatedAtField or default=clock.now)")]),
    # Converting a given time is not reading the clock; nor is a mention in a string or comment.
    ("from django.utils import timezone\nd = timezone.localdate(at)\nt = timezone.localtime(at)", []),
    ("from core import clock\nd = clock.today()  # not timezone.now()\ns = 'date.today()'", []),
    ("from datetime import date\nd = date(2002, 3, 1)", []),
])
def test_the_lint_finds_direct_reads_and_only_them(source, expected):
    assert clock_reads(source) == expected
