"""Real Celery workers, in their own processes, on Redis and the pytest PostgreSQL database.

Each test gets its own queue name, so parallel test processes (xdist) and any other worker on
the same Redis never take each other's messages.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.funding.celery_control import celery_publishing

ROOT = Path(settings.BASE_DIR)


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Worker:
    def __init__(self, *, broker_url: str, queue: str, log: Path, pool: str = "solo",
                 loglevel: str = "INFO", environment: dict[str, str] | None = None):
        self.log = log
        env = {k: v for k, v in os.environ.items() if k != "CELERY_TASK_ALWAYS_EAGER"}
        env.update(DATABASE_URL=_database_url(), CELERY_BROKER_URL=broker_url,
                   DJANGO_SETTINGS_MODULE="lsp_portal.settings", PYTHONUNBUFFERED="1",
                   **(environment or {}))
        args = [sys.executable, "-m", "celery", "-A", "lsp_portal", "worker", "--pool", pool,
                "-Q", queue, "-n", f"{log.stem}@%h", "--loglevel", loglevel,
                "--without-gossip", "--without-mingle", "--without-heartbeat"]
        if pool == "prefork":
            args += ["--concurrency", "1"]
        self._out = open(log, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._out,
                                        stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited early:\n{self.output()}")
            if " ready." in self.output():
                return
            time.sleep(0.1)
        raise AssertionError(f"worker not ready in {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text()

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._out.close()


@pytest.fixture
def queue_name(require_redis):
    """A queue of this test's own; its list and kombu's binding keys are removed afterwards."""
    name = f"lsp-test-{uuid.uuid4().hex[:12]}"
    yield name
    import redis

    client = redis.Redis.from_url(require_redis)
    client.delete(name, *client.keys(f"_kombu.binding*.{name}"))


@pytest.fixture
def start_worker(require_postgresql, require_redis, transactional_db, queue_name, tmp_path):
    """start_worker(pool="solo", environment={...}) -> a ready Worker consuming this test's
    queue, with these variables added to its environment (its settings: EMAIL_BACKEND...).
    Workers are stopped before the database is flushed."""
    workers: list[Worker] = []

    def start(pool: str = "solo", loglevel: str = "INFO",
              environment: dict[str, str] | None = None) -> Worker:
        worker = Worker(broker_url=require_redis, queue=queue_name, pool=pool, loglevel=loglevel,
                        log=tmp_path / f"worker{len(workers)}-{queue_name}.log",
                        environment=environment)
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def publish_to_workers(require_redis, queue_name):
    """This process sends its tasks to the test's queue on the real Redis."""
    with celery_publishing(url=require_redis, queue=queue_name, eager=False):
        yield
