"""The settings the test suite runs with (pyproject.toml): the project's own, read from the
environment as in production, with a test-only SECRET_KEY when none is set, since
lsp_portal/settings.py refuses to start without one while DEBUG is off."""

import os

os.environ.setdefault("SECRET_KEY", "django-insecure-tests-only-key-not-used-anywhere-else-0123456789")

from lsp_portal.settings import *  # noqa: F403
