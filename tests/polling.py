"""Waiting in tests: poll for what should happen, with a deadline, never a fixed sleep."""

import time

from django.db import connection


def wait_for(predicate, *, timeout: float = 30, every: float = 0.1, message: str = "",
             pause=time.sleep):
    """`predicate()` once it is true (returned), polled every `every` seconds; fails with
    `message` if it is still false after `timeout` seconds. `pause(seconds)` waits between
    polls (`in_browser` for a Playwright page, whose events arrive only while it waits)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message or "condition not met in time")
        pause(every)


def in_browser(page):
    """A `pause` for `wait_for` that lets a Playwright page deliver its events meanwhile."""
    return lambda seconds: page.wait_for_timeout(seconds * 1000)


def waiting_on_locks() -> int:
    """How many connections to this PostgreSQL database are waiting for a lock now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]
