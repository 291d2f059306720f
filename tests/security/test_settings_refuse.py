"""Settings refuse to start a production process without a secret key of its own.

A key written in the source signs the sessions and CSRF tokens of every copy of the portal that
forgot to set one; with DEBUG off, lsp_portal/settings.py refuses to load instead, naming the
variable. DEBUG=1 (`make run`) still runs with a development key.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETUP = "import django; django.setup(); from django.conf import settings; print('KEY', settings.SECRET_KEY)"


def _setup(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    clean["DJANGO_SETTINGS_MODULE"] = "lsp_portal.settings"
    return subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=60, check=False)


def test_debug_off_and_no_secret_key_refuses_to_start_naming_the_variable():
    for env in ({"DEBUG": "0"}, {}, {"DEBUG": "0", "SECRET_KEY": ""}):
        result = _setup(**env)
        assert result.returncode != 0, env
        assert "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set" in result.stderr, env
        assert "KEY" not in result.stdout


def test_debug_off_with_a_secret_key_starts_with_that_key():
    result = _setup(DEBUG="0", SECRET_KEY="a-real-key-from-the-environment-" + "x" * 40)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "KEY a-real-key-from-the-environment-" + "x" * 40


def test_debug_on_runs_without_a_key_on_a_development_key():
    result = _setup(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("KEY django-insecure-")

