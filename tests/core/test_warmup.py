"""lsp_portal/warmup.py: what a web process does before its first request."""

import contextlib
import json
import os
import subprocess
import sys
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


# Run in a fresh interpreter, with the deployed settings (no database needed): load the WSGI
# application and warm up as gunicorn's master does (deploy/gunicorn.conf.py), then make a
# worker's first requests and report what they had still to import or compile.
FIRST_REQUESTS = r"""
import json, sys
import django
django.setup()
import lsp_portal.wsgi  # noqa: F401 -- gunicorn loads the application before warming up
from django.core.validators import EmailValidator
from django.utils.functional import empty
from lsp_portal.warmup import warm_up

warm_up()
patterns = {name: getattr(EmailValidator, name)._wrapped is not empty
            for name in ("user_regex", "domain_regex")}
before = set(sys.modules)
from django.contrib.auth.hashers import check_password, make_password
from django.test import Client

client = Client()
page = client.get("/sign-in/")
refused = client.post("/sign-in/", {"username": "not an address", "password": "x"})
check_password("a password", make_password("a password"))
print(json.dumps({"statuses": [page.status_code, refused.status_code],
                  "refusal": "Enter an email address in the correct format" in refused.content.decode(),
                  "patterns": patterns, "imported": sorted(set(sys.modules) - before)}))
"""


def test_a_workers_first_sign_in_has_nothing_left_to_import_or_compile(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lsp_portal.settings", "DEBUG": "0",
           "SECRET_KEY": "warm-up-test-" + "x" * 40, "ALLOWED_HOSTS": "testserver",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}", "LOG_LEVEL": "WARNING",
           "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
           "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    ran = subprocess.run([sys.executable, "-W", "ignore", "-c", FIRST_REQUESTS], env=env,
                         cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr[-3000:]
    found = json.loads(ran.stdout.strip().splitlines()[-1])
    assert found["statuses"] == [200, 200] and found["refusal"], found
    # The deployed hasher's library, the address patterns, the context processors, the message
    # and session storage and the lockout handler were each first used here before the warm-up
    # took them on.
    assert all(found["patterns"].values()), found["patterns"]
    assert found["imported"] == [], found["imported"]
