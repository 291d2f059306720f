"""The tests' settings with the body probe's URLs (tests/security/body_limit_urls.py), for the
gunicorn started by tests/security/test_request_limits.py."""

from tests.settings import *  # noqa: F403

ROOT_URLCONF = "tests.security.body_limit_urls"
