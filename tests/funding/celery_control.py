"""Point this process's Celery app at another broker or queue for a test, then put it back.

Celery caches the broker connection pool and the queue/router set on first use, so changing
the configuration alone is not enough: the caches are dropped on the way in and out.
`broker_write_url` is used because an environment CELERY_BROKER_URL overrides `broker_url`.
"""

import contextlib
import socket

from lsp_portal.celery import app as celery_app


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reset_caches() -> None:
    celery_app._pool = None
    celery_app.__dict__.pop("amqp", None)


@contextlib.contextmanager
def celery_publishing(*, url: str | None = None, queue: str | None = None, eager: bool = False):
    conf = celery_app.conf
    saved = {
        "broker_write_url": conf.get("broker_write_url"),
        "task_default_queue": conf.task_default_queue,
        "task_always_eager": conf.task_always_eager,
    }
    if url is not None:
        conf.broker_write_url = url
    if queue is not None:
        conf.task_default_queue = queue
    conf.task_always_eager = eager
    _reset_caches()
    try:
        yield celery_app
    finally:
        for key, value in saved.items():
            conf[key] = value
        _reset_caches()


def broker_down():
    """Publishing fails at once, as when Redis is unreachable: the outbox rows stay owed."""
    return celery_publishing(url=f"redis://127.0.0.1:{closed_port()}/0")
