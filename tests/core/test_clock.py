"""The service's clock (core/clock.py) and the training date (core/training.py): the real date in
production; in a training service a stored date that every process reads, moved only forward,
each move recorded; refused by `check --deploy` with DEBUG off unless explicitly allowed."""

import datetime as dt
import os
import select
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import clock
from core.errors import ApplicationError
from core.models import TrainingDate, TrainingDateMove
from core.training import training_date_move, training_date_start
from tests.factories import RoleAssignmentFactory

ROOT = Path(__file__).resolve().parent.parent.parent
MARCH_1 = dt.date(2002, 3, 1)
MARCH_28 = dt.date(2002, 3, 28)

pytestmark = pytest.mark.django_db


def state():
    """What a refused move must leave as it was."""
    return (list(TrainingDate.objects.values_list("today", flat=True)),
            list(TrainingDateMove.objects.values_list("from_date", "to_date", "by_label")))


# --- The real date, and the stored one -------------------------------------------------------


def test_off_the_clock_is_the_real_one_whatever_is_stored(settings):
    settings.TRAINING_CLOCK = False
    TrainingDate.objects.create(today=MARCH_1)
    assert clock.today() == timezone.localdate()
    assert abs(clock.now() - timezone.now()) < dt.timedelta(seconds=5)
    assert clock.training_date() is None


def test_on_with_no_date_stored_the_clock_is_the_real_one(settings):
    settings.TRAINING_CLOCK = True
    assert clock.training_date() is None
    assert clock.today() == timezone.localdate()


def test_on_today_is_the_stored_date_and_now_that_day_at_the_real_time(training_clock):
    assert clock.today() == MARCH_1
    now, real = clock.now(), timezone.localtime()
    assert timezone.is_aware(now)
    assert timezone.localtime(now).date() == MARCH_1
    wall = dt.datetime.combine(MARCH_1, real.time())
    assert abs(timezone.localtime(now).replace(tzinfo=None) - wall) < dt.timedelta(seconds=5)


def test_held_at_answers_its_moment_inside_the_block_only(training_clock):
    moment = timezone.make_aware(dt.datetime(2001, 10, 15, 10, 0))
    with clock.held_at(moment):
        assert clock.now() == moment
        assert clock.today() == dt.date(2001, 10, 15)
    assert clock.today() == MARCH_1
    with pytest.raises(ValueError, match="aware"), clock.held_at(dt.datetime(2001, 10, 15, 10)):
        pass


@pytest.mark.parametrize(("day", "phrase"), [
    (MARCH_1, "today"), (dt.date(2002, 3, 2), "tomorrow"), (dt.date(2002, 2, 28), "yesterday"),
    (MARCH_28, "in 27 days"), (dt.date(2002, 2, 26), "3 days ago"),
])
def test_days_phrase_counts_from_the_clocks_today(training_clock, day, phrase):
    assert clock.days_phrase(day) == phrase


# --- Moving it: forward only, recorded -------------------------------------------------------


def test_moving_forward_changes_today_for_everyone_and_is_recorded(training_clock):
    admin = RoleAssignmentFactory(admin=True).user
    assert clock.today() == MARCH_1  # read, and kept for a few seconds
    move = training_date_move(to=MARCH_28, by=admin)
    assert clock.today() == MARCH_28
    assert (move.from_date, move.to_date, move.by, move.by_label) == (
        MARCH_1, MARCH_28, admin, str(admin))
    # When it was moved is the wall clock's time, not the training date's.
    assert abs(move.at - timezone.now()) < dt.timedelta(seconds=10)
    assert list(TrainingDateMove.objects.values_list("from_date", "to_date")) == [
        (MARCH_1, MARCH_28), (None, MARCH_1)]


@pytest.mark.parametrize("to", [MARCH_1, dt.date(2002, 2, 28), dt.date(1999, 1, 1)])
def test_moving_back_or_to_the_same_date_is_refused_and_nothing_changes(training_clock, to):
    before = state()
    with pytest.raises(ApplicationError, match="must be after 1 March 2002: the training date "
                                               "only moves forward"):
        training_date_move(to=to)
    assert state() == before
    assert clock.today() == MARCH_1


def test_with_nothing_stored_it_moves_forward_from_the_real_date(settings):
    settings.TRAINING_CLOCK = True
    with pytest.raises(ApplicationError, match="only moves forward"):
        training_date_move(to=MARCH_28)
    later = timezone.localdate() + dt.timedelta(days=3)
    training_date_move(to=later)
    assert clock.today() == later


def test_a_service_on_the_real_date_has_no_training_date_to_move(settings):
    settings.TRAINING_CLOCK = False
    with pytest.raises(ApplicationError, match="runs on the real date"):
        training_date_move(to=dt.date(2100, 1, 1))
    with pytest.raises(ApplicationError, match="runs on the real date"):
        training_date_start(on=MARCH_1)
    assert state() == ([], [])


def test_start_sets_a_date_once_and_afterwards_only_moves_it_forward(settings):
    settings.TRAINING_CLOCK = True
    assert training_date_start(on=MARCH_1, by_label="load_demo").from_date is None
    assert training_date_start(on=dt.date(2002, 2, 1)) is None  # earlier: left as it is
    assert training_date_start(on=MARCH_1) is None  # the same
    assert clock.today() == MARCH_1
    assert training_date_start(on=MARCH_28).from_date == MARCH_1
    assert clock.today() == MARCH_28


# --- Reads stay cheap ------------------------------------------------------------------------


def test_the_stored_date_is_read_once_and_kept(training_clock):
    clock.forget()
    with CaptureQueriesContext(connection) as read:
        for _ in range(5):
            clock.today()
            clock.now()
    assert len(read) == 1


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize("who", ["anonymous", "officer", "analyst"])
def test_a_page_gains_at_most_one_query_on_a_training_clock(settings, who):
    """The banner and every rule on the page ask the clock; the stored date is read once per
    request."""
    user = None if who == "anonymous" else RoleAssignmentFactory(**{who: True}).user
    url = {"anonymous": reverse("core:sign-in"), "officer": reverse("accreditation:home"),
           "analyst": reverse("reporting:dashboard-show")}[who]
    client = Client()
    if user:
        client.force_login(user)
    client.get(url)  # warm: sessions, caches
    settings.TRAINING_CLOCK = False
    off = _queries(client, url)
    settings.TRAINING_CLOCK = True
    TrainingDate.objects.create(today=MARCH_1)
    on = _queries(client, url)
    assert on - off <= 1, (off, on)
    # And the next request reads it again (another process may have moved it).
    TrainingDate.objects.filter(pk=1).update(today=MARCH_28)
    assert "28 March 2002" in client.get(url).content.decode()


# --- Every process agrees --------------------------------------------------------------------


# A long-running process (as the web's and the worker's are) on the shared database: for each
# line it is sent it reads the service's today afresh, as each request and each task does
# (core/clock.py's middleware and task hook forget the kept date first).
READER = """
import sys
from core import clock
for _ in sys.stdin:
    clock.forget()
    print(clock.today().isoformat(), clock.now().date().isoformat(), flush=True)
"""


def _manage(*args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _line(process: subprocess.Popen, timeout: float = 300) -> str:
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if ready else ""
    if not line:
        process.kill()
        raise AssertionError(f"the reading process said nothing: {process.stderr.read()}")
    return line.strip()


def _migrated_database(path: Path, env) -> None:
    """A migrated SQLite database at `path`: a copy of this run's own test database when that is
    SQLite (migrated when the run started, and empty between tests), else migrated afresh."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        copy = sqlite3.connect(path)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        return
    migrated = _manage("migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stderr


def test_other_processes_read_the_same_stored_date(tmp_path):
    """Processes on one database, as the web, the worker and beat are: one moves the date, a
    running one reads it at its next request, and a new one (refusing to move it back) reads
    it too."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
           "TRAINING_CLOCK": "1", "DEBUG": "1", "CELERY_BROKER_URL": ""}
    _migrated_database(tmp_path / "shared.sqlite3", env)
    with subprocess.Popen([sys.executable, "manage.py", "shell", "--no-imports", "-c", READER],
                          cwd=ROOT, env=env, text=True, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as reader:

        def today_in_the_running_process() -> list[str]:
            reader.stdin.write("today?\n")
            reader.stdin.flush()
            return _line(reader).split()

        assert _manage("training_date", "--start", "2002-03-01", env=env).returncode == 0
        assert today_in_the_running_process() == ["2002-03-01", "2002-03-01"]

        moved = _manage("training_date", "--move-to", "2002-03-28", env=env)
        assert moved.returncode == 0, moved.stderr
        assert "Today in this service is 28 March 2002 (a training date)." in moved.stdout
        assert today_in_the_running_process() == ["2002-03-28", "2002-03-28"]

        back = _manage("training_date", "--move-to", "2002-03-01", env=env)
        assert back.returncode != 0
        assert "must be after 28 March 2002: the training date only moves forward" in back.stderr
        assert today_in_the_running_process() == ["2002-03-28", "2002-03-28"]
        reader.stdin.close()
        assert reader.wait(timeout=60) == 0, reader.stderr.read()


# --- Refused in production -------------------------------------------------------------------


def _training_clock_errors():
    return [e for e in run_checks(include_deployment_checks=True) if e.id == "core.E001"]


@pytest.mark.parametrize(("debug", "training", "allowed", "refused"), [
    (False, True, False, True),
    (False, True, True, False),
    (True, True, False, False),
    (False, False, False, False),
])
def test_the_deploy_check_refuses_a_training_clock_with_debug_off_unless_allowed(
        settings, debug, training, allowed, refused):
    settings.DEBUG = debug
    settings.TRAINING_CLOCK = training
    settings.TRAINING_CLOCK_ALLOWED_IN_PRODUCTION = allowed
    errors = _training_clock_errors()
    assert bool(errors) == refused
    if refused:
        assert "TRAINING_CLOCK_ALLOWED_IN_PRODUCTION=1" in errors[0].hint


def test_manage_check_deploy_fails_on_a_training_clock(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}",
           "DEBUG": "0", "TRAINING_CLOCK": "1", "SECRET_KEY": "x" * 60}
    env.pop("TRAINING_CLOCK_ALLOWED_IN_PRODUCTION", None)
    refused = _manage("check", "--deploy", env=env)
    assert refused.returncode != 0
    assert "core.E001" in refused.stderr
    allowed = _manage("check", "--deploy", env={**env, "TRAINING_CLOCK_ALLOWED_IN_PRODUCTION": "1"})
    assert "core.E001" not in allowed.stdout + allowed.stderr


# --- The banner ------------------------------------------------------------------------------


def test_no_banner_on_the_real_date(client, settings):
    settings.TRAINING_CLOCK = False
    assert 'id="training-banner"' not in client.get(reverse("core:sign-in")).content.decode()


@pytest.mark.parametrize("who", ["anonymous", "officer", "chair", "reviewer", "analyst", "admin"])
def test_every_role_and_the_signed_out_see_the_training_date(client, training_clock, who):
    if who != "anonymous":
        client.force_login(RoleAssignmentFactory(**{who: True}).user)
    for url in (reverse("core:accessibility"), reverse("core:home"), "/no-such-page/"):
        html = client.get(url, follow=True).content.decode()
        assert 'id="training-banner"' in html, (who, url)
        assert "today in this service is <strong><time datetime=\"2002-03-01\">1 March 2002" in html
