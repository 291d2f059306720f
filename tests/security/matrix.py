"""Every URL of the project, requested as every role: the machinery of the permission matrix.

The URL list comes from Django's resolver, not from a list kept by hand, so a new URL is
seen the moment it is included. Each request runs in a savepoint that is rolled back, so a
POST that succeeds (starting a review, removing a member) leaves the world as it was for the
next one.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import attrgetter

from django.db import transaction
from django.http import FileResponse, StreamingHttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .hostile import changed_tables, snapshot
from .permission_table import COLUMNS, URL_KWARGS
from .world import World

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


def request_as(world: World, role: str, method: str, url: str, data=None, name: str = "",
               **extra) -> Answer:
    """One request as `role`, in a savepoint rolled back afterwards."""
    client = Client(raise_request_exception=False)
    with transaction.atomic():
        user = world.user(role)
        if user is not None:
            client.force_login(user)
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
