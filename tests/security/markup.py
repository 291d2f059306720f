"""Text typed by one person, found as markup on another person's page.

A payload carries a numbered marker element (``<b id="xss-12">``) and a ``<meta
http-equiv="refresh">`` that would send the reader's browser elsewhere; it starts with ``"'>``
so that, printed unescaped inside an attribute, it breaks out of it too. A page is parsed (the
standard library's HTML parser, as tests/security/pages.py does), not searched as a string:
escaped text is data, and only a marker that came out as an element, or any meta refresh,
counts.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.apps import apps
from django.db import models

from .matrix import request_as, url_for
from .permission_table import COLUMNS, EXPECTED
from .world import World

MARKER_PREFIX = "xss-"
REFRESH = '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
_MARKER = re.compile(r'id="xss-(\d+)"')


def payload(number: int, max_length: int | None = None) -> str:
    """A hostile text carrying marker `number`, at most `max_length` characters."""
    full = f'"\'><b id="{MARKER_PREFIX}{number}">x</b>{REFRESH}'
    if max_length is None or len(full) <= max_length:
        return full
    short = f'"\'><b id="{MARKER_PREFIX}{number}">'
    if len(short) <= max_length:
        return short
    return f'<b id="{MARKER_PREFIX}{number}">'[:max_length]


def markers_in(text: str) -> set[int]:
    """The marker numbers a stored text carries."""
    return {int(n) for n in _MARKER.findall(text or "")}


class _Finder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.markers: list[tuple[int, str]] = []  # (number, tag)
        self.refreshes = 0

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v or "") for k, v in attrs}
        element_id = a.get("id", "")
        if element_id.startswith(MARKER_PREFIX) and element_id[len(MARKER_PREFIX):].isdigit():
            self.markers.append((int(element_id[len(MARKER_PREFIX):]), tag))
        if tag == "meta" and a.get("http-equiv", "").strip().lower() == "refresh":
            self.refreshes += 1

    handle_startendtag = handle_starttag


@dataclass
class Found:
    markers: list[tuple[int, str]] = field(default_factory=list)
    refreshes: int = 0

    def __bool__(self):
        return bool(self.markers or self.refreshes)


def markup_in(html: str) -> Found:
    """Marker elements and meta refreshes in the parsed page."""
    finder = _Finder()
    finder.feed(html)
    finder.close()
    return Found(finder.markers, finder.refreshes)


def describe(found: Found, where: str, origin: dict[int, str]) -> list[str]:
    lines = [f"{where}: {origin.get(number, f'marker {number}')} is a <{tag}> element"
             for number, tag in found.markers]
    if found.refreshes:
        lines.append(f"{where}: {found.refreshes} <meta http-equiv=refresh> element(s)")
    return lines


# --- The pages ---------------------------------------------------------------------------------


def matrix_pages(world: World) -> list[tuple[str, str, str, str]]:
    """(url name, method, role, url) for every page of the permission matrix a role is
    answered with: every GET the table answers 200, and every POST (with an empty body) it
    answers 200, which re-renders the form with its labels, hints and errors."""
    pages = []
    for name, methods in EXPECTED.items():
        if name.startswith("admin:"):
            continue
        url = url_for(world, name)
        for method in ("GET", "POST"):
            for role in COLUMNS:
                if methods[method][role] == "200":
                    pages.append((name, method, role, url))
    return pages


def sweep(world: World, origin: dict[int, str], extra_urls=()) -> tuple[list[str], int]:
    """Visit every page of the matrix, and `extra_urls` (pages the forms led to) as every role,
    parse each HTML answer and describe each marker element and meta refresh found. Returns
    the problems and how many HTML pages were read."""
    problems: list[str] = []
    read = 0
    visits = matrix_pages(world) + [("", "GET", role, url) for url in extra_urls
                                    for role in COLUMNS]
    for name, method, role, url in visits:
        answer = request_as(world, role, method, url, name=name)
        where = f"{method} {url} as {role}" + (f" ({name})" if name else "")
        if answer.status >= 500:
            problems.append(f"{where}: answered {answer.status} {answer.error}")
            continue
        if not answer.content_type.startswith("text/html"):
            continue
        read += 1
        problems += describe(markup_in(answer.body), where, origin)
    return problems, read


# --- Stored text -------------------------------------------------------------------------------

PROJECT_APPS = ("core", "partnerships", "performance", "accreditation", "funding", "reporting",
                "reference")
# Identifiers rather than prose: keys the portal looks rows up by, and what no person types.
NOT_TEXT = {"password", "email", "slug", "key", "code", "label", "gss_code", "content_type",
            "funding_state",
            # An API token's generated key parts (reporting.ApiToken): made by the service.
            "prefix", "hashed_key"}


def text_columns() -> list[tuple[type[models.Model], models.Field]]:
    """Every free-text column of the project's models: CharField and TextField without
    choices, other than identifiers."""
    found = []
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS or model._meta.proxy:
            continue
        for f in model._meta.concrete_fields:
            if (isinstance(f, models.CharField | models.TextField) and not f.choices
                    and not isinstance(f, models.SlugField | models.EmailField)
                    and not f.primary_key and f.name not in NOT_TEXT):
                found.append((model, f))
    return found


def stored_markers() -> set[int]:
    """The markers held by any stored text."""
    found: set[int] = set()
    for model, f in text_columns():
        for value in model._default_manager.filter(**{f"{f.name}__contains": MARKER_PREFIX}) \
                .values_list(f.name, flat=True):
            found |= markers_in(value)
    return found
