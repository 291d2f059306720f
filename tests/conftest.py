"""Test settings and the services the suite needs.

With REQUIRE_SERVICES=1 a missing PostgreSQL, Redis or Chromium fails the run; otherwise the
tests that need them are skipped with the reason.
"""

import os
import shutil

import pytest
from django.conf import settings

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Keep `xdist_group` groups together under `--dist loadgroup` (the Makefile's): pytest-xdist
    names a grouped test's group at the end of its node id ("...::test@demo") by setting the
    node's private `_nodeid` in each worker, which this pytest no longer reads (node ids are
    structured), so every group was silently spread over the workers. The id it meant is set
    here; where pytest-xdist's own id took (or no group was named), nothing changes."""
    from _pytest.nodeid import NodeId

    for item in items:
        meant = item.__dict__.get("_nodeid")
        if meant and meant != item.nodeid:
            item._id = NodeId.parse(meant)


def _missing(what: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {what}", pytrace=False)
    pytest.skip(what)


def uses_postgresql() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.fixture
def require_postgresql():
    if not uses_postgresql():
        _missing("PostgreSQL is not configured (set DATABASE_URL)")


@pytest.fixture
def require_redis():
    url = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL")
    if not url or not url.startswith("redis"):
        _missing("Redis is not configured (set CELERY_BROKER_URL)")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        _missing(f"Redis at {url} does not answer: {exc}")
    return url


# Session-scoped so that the session-scoped browser fixtures of the e2e suite can depend on it.
@pytest.fixture(scope="session")
def require_chromium():
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not shutil.which(path):
        _missing(f"Chromium is not installed at {path}")
    return path


@pytest.fixture(autouse=True)
def _tasks_run_in_process():
    """Tasks run in the test's own process after commit, as in `make run`, even when CI sets a
    real broker: the tests that need a real worker say so (tests/integration, celery_publishing)."""
    from lsp_portal.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "evidence"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _clock_read_afresh():
    """The training date a test stores is read afresh (core/clock.py keeps it a few seconds)."""
    from core import clock

    clock.forget()
    yield
    clock.forget()


@pytest.fixture
def training_clock(settings):
    """A training service (TRAINING_CLOCK on) whose today is 1 March 2002, the demo's date."""
    import datetime as dt

    from core.training import training_date_start

    settings.TRAINING_CLOCK = True
    training_date_start(on=dt.date(2002, 3, 1), by_label="test")
    return dt.date(2002, 3, 1)


# --- The February 2002 demo (tests/demo_snapshot.py) --------------------------------------------
@pytest.fixture(scope="session")
def demo_snapshot(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """`load_demo` run once in the test run; its rows, kept to be restored per test. The
    pytest-xdist workers share the first one's (in the run's temporary folder)."""
    from tests.demo_snapshot import snapshot_build, snapshot_shared

    with django_db_blocker.unblock():
        if hasattr(request.config, "workerinput"):
            return snapshot_shared(tmp_path_factory.getbasetemp().parent)
        return snapshot_build()


@pytest.fixture
def demo(demo_snapshot, db):
    """The February 2002 demo in this test's database, as `make run` loads it (a training service
    whose today is 1 March 2002; every recompute settled; users' password DEMO_PASSWORD).
    Rolled back after a `django_db` test, flushed after a `transactional_db` one. Returns the
    snapshot (`.output` is what `load_demo` printed)."""
    from tests.demo_snapshot import snapshot_restore

    snapshot_restore(demo_snapshot)
    return demo_snapshot
