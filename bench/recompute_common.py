"""What both parts of bench_recompute.py share: the databases, Django set-up, figures."""

import os
import resource
import sys
from pathlib import Path

from fresh_database import fresh_postgresql as _fresh_postgresql  # noqa: F401 (bench_recompute.py)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lsp_bench_recompute"
TARGET_P95_MS = 500.0
TARGET_RATIO = 5.0
TARGET_MEMORY_MB = 300.0
WARM_UP_PARTNERSHIPS = 2
CHANNEL = "bench_ledger"


def _database_url() -> str:
    base = os.environ.get("BENCH_DATABASE_URL")
    return f"{base.rstrip('/')}_recompute" if base else DEFAULT_DATABASE_URL


def _redis_url() -> str:
    return (os.environ.get("BENCH_REDIS_URL") or os.environ.get("CELERY_BROKER_URL")
            or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")


def _postgresql_problem(url: str) -> str | None:
    if not url.startswith("postgres"):
        return f"{url} is not PostgreSQL"
    try:
        import psycopg2

        server = url.rsplit("/", 1)[0]
        psycopg2.connect(f"{server}/postgres", connect_timeout=3).close()
    except Exception as exc:  # any reason it cannot be used is reported, not raised
        return f"PostgreSQL at {url.rsplit('/', 1)[0]} does not answer: {' '.join(str(exc).split())}"
    return None


def _redis_problem(url: str) -> str | None:
    if not url.startswith("redis"):
        return f"{url} is not Redis"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as exc:
        return f"Redis at {url} does not answer: {' '.join(str(exc).split())}"
    return None


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "lsp_portal.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


