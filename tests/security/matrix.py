"""Every URL of the project, requested as every role: the machinery of the permission matrix.

The URL list comes from Django's resolver, not from a list kept by hand, so a new URL is
seen the moment it is included. Each request runs in a savepoint that is rolled back, so a
POST that succeeds (starting a review, removing a member) leaves the world as it was for the
next one.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import attrgetter

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import FileResponse, StreamingHttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core import clock

from .hostile import changed_tables, snapshot
from .permission_table import COLUMNS, EXPECTED, URL_KWARGS
from .world import World, build_world

# Django's admin is Django's own code: its index stands for all of it.
ADMIN_NAMESPACE = "admin"
ADMIN_KEPT = {"admin:index"}


@dataclass(frozen=True)
class ProjectUrl:
    name: str  # "namespace:name"; "" when the pattern has none
    route: str
    params: tuple[str, ...]


def _params(pattern) -> tuple[str, ...]:
    return tuple(pattern.pattern.regex.groupindex)


def project_urls() -> list[ProjectUrl]:
    """Every URL pattern of the project, named with its full namespace path."""
    found: list[ProjectUrl] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str, params: tuple[str, ...]):
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, route, inner, params + _params(entry))
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
                top = namespace.split(":")[0] if namespace else ""
                if top == ADMIN_NAMESPACE and name not in ADMIN_KEPT:
                    continue
                found.append(ProjectUrl(name, route, params + _params(entry)))

    walk(get_resolver(), "", "", ())
    return found


def url_for(world: World, name: str) -> str:
    kwargs = {}
    for key, path in URL_KWARGS.get(name, {}).items():
        kwargs[key] = path.strip("'") if path.startswith("'") else attrgetter(path)(world)
    return reverse(name, kwargs=kwargs)


def classify(response) -> str:
    code = response.status_code
    if 200 <= code < 300:
        return "200"
    if code in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        path = location.split("?")[0]
        if path in (reverse("core:sign-in"), reverse("admin:login")):
            return "login"
        return "302"
    return str(code)


@dataclass
class Answer:
    name: str
    method: str
    role: str
    url: str
    outcome: str
    status: int
    content_type: str = ""
    body: str = ""
    headers: dict = field(default_factory=dict)
    error: str = ""
    changed: list[str] = field(default_factory=list)  # tables a GET changed (none should)


def _read(response) -> bytes:
    # The test client closes the response itself (a streamed one once read to the end), with
    # the signal that would close the database connection disconnected; closing it again here
    # would end the test's transaction on PostgreSQL.
    if isinstance(response, FileResponse | StreamingHttpResponse):
        return b"".join(response.streaming_content)
    return response.content


def signed_in_client(world: World, role: str) -> Client:
    """A test client signed in as `role` (signed out for "anonymous"). The session is made once
    per world and role, outside the savepoints the requests run in (so that the requests' own
    writes stay theirs to roll back), and made again if it has gone (rolled back with a
    savepoint it was made in)."""
    client = Client(raise_request_exception=False)
    user = world.user(role)
    if user is None:
        return client
    keys = world.__dict__.setdefault("_session_keys", {})
    key = keys.get(role)
    if key is None or not Session.objects.filter(session_key=key).exists():
        login = Client()
        login.force_login(user)
        key = keys[role] = login.cookies[settings.SESSION_COOKIE_NAME].value
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    return client


def request_as(world: World, role: str, method: str, url: str, data=None, name: str = "",
               **extra) -> Answer:
    """One request as `role`, in a savepoint rolled back afterwards."""
    client = signed_in_client(world, role)
    with transaction.atomic():
        before = snapshot() if method == "GET" else None
        if method == "GET":
            response = client.get(url, data or {}, **extra)
        else:
            response = client.post(url, data or {}, **extra)
        body = _read(response)
        changed = changed_tables(before, snapshot()) if before is not None else []
        transaction.set_rollback(True)
    content_type = response.headers.get("Content-Type", "")
    error = ""
    if response.status_code >= 500 and getattr(response, "exc_info", None):
        exc = response.exc_info[1]
        error = f"{type(exc).__name__}: {exc}"[:300]
    text = body.decode("utf-8", "replace") if content_type.startswith(("text/", "application/json")) else ""
    return Answer(name=name, method=method, role=role, url=url, outcome=classify(response),
                  status=response.status_code, content_type=content_type, body=text,
                  headers=dict(response.headers), error=error, changed=changed)


def sweep(world: World, names: list[str], methods=("GET", "POST"), roles=COLUMNS) -> Iterator[Answer]:
    for name in names:
        url = url_for(world, name)
        for method in methods:
            for role in roles:
                yield request_as(world, role, method, url, name=name)


def namespace_names(namespace: str) -> list[str]:
    """The URL names of a namespace that the permission table has lines for."""
    return [u.name for u in project_urls()
            if u.name.split(":")[0] == namespace and u.name in EXPECTED]


# The crawl of each namespace, once per test process (crawl below).
_crawled: dict[str, list[Answer]] = {}


def crawled_namespaces(namespaces) -> list:
    """Parameters for tests that assert on `crawl(namespace)`: each namespace's tests share an
    xdist group, so its crawl is requested once per run, and the namespaces spread over the
    workers."""
    return [pytest.param(namespace, id=namespace,
                         marks=pytest.mark.xdist_group(f"security-crawl-{namespace}"))
            for namespace in namespaces]


def crawl(namespace: str) -> list[Answer]:
    """Every URL of `namespace` the permission table has lines for, GET and POST (with an empty
    body), as every role, in the world of world.py on a training service (TRAINING_CLOCK on, so
    that its date's page is there to be refused or answered): the answers the permission matrix,
    the page checks and the header checks each assert on (tests/security/test_permission_matrix,
    test_pages, test_response_headers).

    Requested once per test process (a namespace's tests share an xdist group, so once per run,
    `crawled_namespaces`): inside
    the calling test's transaction, in a savepoint rolled back after, as each request's own is.
    A training service differs from one on the real date only by the banner under the phase
    banner (templates/base.html) and its date's page, so its pages are production's with that
    banner added."""
    if namespace not in _crawled:
        clock.forget()
        try:
            with override_settings(TRAINING_CLOCK=True), transaction.atomic():
                world = build_world()
                _crawled[namespace] = list(sweep(world, namespace_names(namespace)))
                transaction.set_rollback(True)
        finally:
            clock.forget()
    return _crawled[namespace]


def grid(rows: list[tuple[str, str, dict[str, str], dict[str, str]]]) -> str:
    """The mismatches as a table: each cell 'got' where it matches, 'got≠want' where not."""
    width = max(len(name) for name, *_ in rows) if rows else 10
    head = f"{'url name':<{width}}  method  " + "  ".join(f"{r:<12}" for r in COLUMNS)
    lines = [head]
    for name, method, got, want in rows:
        cells = []
        for role in COLUMNS:
            cell = got[role] if got[role] == want.get(role) else f"{got[role]}≠{want.get(role, '?')}"
            cells.append(f"{cell:<12}")
        lines.append(f"{name:<{width}}  {method:<6}  " + "  ".join(cells))
    return "\n".join(lines)
