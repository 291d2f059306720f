"""Hostile input to every form and every query-string filter of the portal.

Forms are found by rendering the page each POST URL's form is on (as the role the permission
table lets post) and reading its fields, so a new field or a new form is attacked without
anyone listing it here. Hypothesis fills them with overlong text, control characters, NUL
bytes, markup, huge and odd numbers, impossible dates, lists where one value is expected, and
leaves fields out. However the portal answers, it must not be a 500, an error answer must
leave every table as it was (no partial writes), and nothing typed may come back as markup.
"""

from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings

from .hostile import changed_tables, form_data, reflected_markup, snapshot
from .matrix import project_urls, request_as, signed_in_client, url_for
from .pages import parse_page
from .permission_table import COLUMNS, EXPECTED
from .world import World, build_world

EXAMPLES = 20
HYPOTHESIS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
ACCEPTING = ("200", "302", "400", "409")

# Where a URL's form is when it is not on the URL's own page.
FORM_PAGES = {
    "review:assessment-start": lambda w: reverse("review:assessment-detail", args=[w.d_submitted.pk]),
    "reporting:email-send-again": lambda w: reverse("reporting:emails-failed"),
}
# Endpoints posted to by scripts, or from a page this world does not show (A has started every
# cycle, so its home has no start button; the import's confirm page needs an upload first).
EXPLICIT_FIELDS = {
    "accreditation:response-autosave": lambda w: {
        "self_rating": ["red", "amber", "green"], "case": [], "version": ["1", "2"],
        "inclusiveness_note": []},
    "reporting:allocations-import-confirm": lambda w: {"token": []},
    "accreditation:assessment-start": lambda w: {"unexpected": []},
    # Picking an assessment and confirming: the confirm page repeats what was picked.
    "review:bulk-accredit": lambda w: {
        "assessments": [str(w.e_review.pk), str(w.c_review.pk)],
        f"version_{w.e_review.pk}": [str(w.e_review.version)], "confirm": ["1"], "change": ["1"]},
}
# URLs whose POST carries nothing but the CSRF token.
NO_FIELDS = {"core:sign-out", "core:session-keepalive"}


def poster(name: str) -> str | None:
    """The first role the table lets POST to the URL and be answered."""
    return next((r for r in COLUMNS if EXPECTED[name]["POST"][r] in ACCEPTING), None)


POST_URLS = sorted(name for name in EXPECTED if not name.startswith("admin:") and poster(name))
NAMESPACES = sorted({name.split(":")[0] for name in POST_URLS})


def discover(world: World, name: str, role: str) -> tuple[bool, dict[str, list[str]], set[str]]:
    """Whether a form posting to `name`'s URL was found (or its fields are listed here), and
    the fields with the values the page offers; an unexpected extra field is always added."""
    url = url_for(world, name)
    page_url = FORM_PAGES[name](world) if name in FORM_PAGES else url
    fields: dict[str, list[str]] = {"unexpected": []}
    files: set[str] = set()
    found = name in EXPLICIT_FIELDS or name in NO_FIELDS
    answer = request_as(world, role, "GET", page_url)
    if answer.status == 200 and answer.content_type.startswith("text/html"):
        for form in parse_page(answer.body).forms:
            target = urlsplit(form.action).path if form.action else page_url
            if form.method != "post" or target != url:
                continue
            found = True
            for kind, field, value in form.fields:
                if not field or field == "csrfmiddlewaretoken":
                    continue
                known = fields.setdefault(field, [])
                if value:
                    known.append(value)
                if kind == "file":
                    files.add(field)
    if name in EXPLICIT_FIELDS:
        for field, known in EXPLICIT_FIELDS[name](world).items():
            fields.setdefault(field, []).extend(known)
    return found, fields, files


def send(world: World, role: str, method: str, url: str, data) -> tuple[int, str, str, list[str]]:
    """One request in a savepoint rolled back afterwards: status, content type, body and the
    tables it changed."""
    client = signed_in_client(world, role)
    with transaction.atomic():
        before = snapshot()
        response = client.get(url, data) if method == "GET" else client.post(url, data)
        body = response.content.decode("utf-8", "replace") if not response.streaming else ""
        if response.streaming:
            b"".join(response.streaming_content)
        after = snapshot()
        transaction.set_rollback(True)
    error = ""
    if response.status_code >= 500 and getattr(response, "exc_info", None):
        error = f"{type(response.exc_info[1]).__name__}: {response.exc_info[1]}"[:300]
    content_type = response.headers.get("Content-Type", "")
    return response.status_code, content_type, body + error, changed_tables(before, after)


def accepted(name: str, status: int, content_type: str, body: str) -> bool:
    """Whether the answer says the input was taken (so writing was right)."""
    if 300 <= status < 400:
        return True
    if status == 200 and content_type.startswith("application/json"):
        return True
    # The requirement page saves the answer (and an area of concern's page the progress) before
    # it checks an attached file, and says so.
    return ((name == "accreditation:response-edit" and "Your answer has been saved" in body)
            or (name == "accreditation:deferral-concern"
                and "Your progress has been saved" in body))


def attack_form(world: World, name: str, role: str, url: str, fields, files) -> None:
    @HYPOTHESIS
    @given(data=form_data(fields, files))
    def attack(data):
        status, content_type, body, changed = send(world, role, "POST", url, data)
        assert status < 500, f"POST {url} as {role} answered {status}: {body[-300:]}"
        if not accepted(name, status, content_type, body):
            assert not changed, f"POST {url} answered {status} but changed {changed}"
        assert not reflected_markup(body), f"POST {url} sent typed markup back unescaped"

    attack()


def attack_filters(world: World, role: str, url: str, fields) -> None:
    @HYPOTHESIS
    @given(data=form_data(fields))
    def attack(data):
        status, _, body, changed = send(world, role, "GET", url, data)
        assert status < 500, f"GET {url} as {role} answered {status}: {body[-300:]}"
        assert not changed, f"GET {url} changed {changed}"
        assert not reflected_markup(body), f"GET {url} sent typed markup back unescaped"

    attack()


def _failure(name: str, error: BaseException) -> str:
    notes = "\n".join(getattr(error, "__notes__", []))
    return f"{name}: {error}\n{notes}".strip()


@pytest.mark.django_db
@pytest.mark.parametrize("namespace", NAMESPACES)
def test_hostile_posts_to_every_form_never_fail_or_write_half(namespace, settings):
    settings.TRAINING_CLOCK = True  # a training service, so that its date's form is there
    world = build_world()
    failures = []
    for name in (n for n in POST_URLS if n.split(":")[0] == namespace):
        role = poster(name)
        found, fields, files = discover(world, name, role)
        if not found:
            failures.append(f"{name}: no form found that posts to it; add its page to FORM_PAGES "
                            "or its fields to EXPLICIT_FIELDS")
            continue
        try:
            attack_form(world, name, role, url_for(world, name), fields, files)
        except Exception as error:  # collect every form's failure, not only the first
            failures.append(_failure(name, error))
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


# --- Query strings -----------------------------------------------------------------------------

# Extra parameters read straight from the query string (pagination, sorting), and exports that
# take the filters of the page they are linked from.
EXTRA_PARAMS = {"page": ["1", "2"], "sort": ["authority", "held"], "order": ["asc", "desc"]}
FILTERS_OF = {
    "reporting:dashboard-export-csv": "reporting:dashboard-show",
    "reporting:dashboard-export-xlsx": "reporting:dashboard-show",
    "performance:progress-national-export": "performance:progress-national",
}


def viewer(name: str) -> str | None:
    return next((r for r in COLUMNS if EXPECTED[name]["GET"][r] == "200"), None)


def get_filters(world: World, name: str, role: str) -> dict[str, list[str]]:
    answer = request_as(world, role, "GET", url_for(world, FILTERS_OF.get(name, name)))
    fields: dict[str, list[str]] = {}
    if answer.status == 200 and answer.content_type.startswith("text/html"):
        for form in parse_page(answer.body).forms:
            if form.method == "get":
                for _, field, value in form.fields:
                    if field:
                        fields.setdefault(field, []).extend([value] if value else [])
    return fields


@pytest.mark.django_db
def test_hostile_query_strings_never_fail_and_never_write():
    """Every page with a filter form (and the exports that take its filters), as a role that
    may see it, with the filter fields and the paging and sorting parameters made hostile."""
    world = build_world()
    failures, attacked = [], []
    for u in project_urls():
        if u.name.startswith("admin:") or u.name not in EXPECTED:
            continue
        role = viewer(u.name)
        if role is None:
            continue
        fields = get_filters(world, u.name, role)
        if not fields:
            continue
        fields = {**EXTRA_PARAMS, **fields}
        attacked.append(u.name)
        try:
            attack_filters(world, role, url_for(world, u.name), fields)
        except Exception as error:
            failures.append(_failure(u.name, error))
    for expected in ("reporting:dashboard-show", "reporting:dashboard-export-csv", "review:queue"):
        assert expected in attacked, f"{expected} has no filter form any more: {attacked}"
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


def test_the_strategies_reach_every_kind_of_trouble():
    """The generator really produces what the module promises (NUL, overlong, lists, gaps)."""
    seen = {"nul": False, "long": False, "list": False, "missing": False, "markup": False}

    # Derandomized: this checks the generator itself, so it must not pass or fail by luck.
    @settings(HYPOTHESIS, max_examples=500, derandomize=True)
    @given(data=form_data({"a": [], "b": ["x"]}))
    def look(data):
        for value in data.values():
            if isinstance(value, list):
                seen["list"] = True
            for text in value if isinstance(value, list) else [value]:
                seen["nul"] |= "\x00" in text
                seen["long"] |= len(text) > 1000
                seen["markup"] |= "<script>" in text
        if len(data) < 2:
            seen["missing"] = True

    look()
    assert all(seen.values()), seen


@pytest.mark.django_db
def test_the_snapshot_sees_rows_added_and_rows_changed():
    """The no-partial-writes check above would notice a write."""
    from partnerships.models import Member
    from tests.factories import MemberFactory

    before = snapshot()
    member = MemberFactory()
    after_insert = snapshot()
    assert "partnerships.Member" in changed_tables(before, after_insert)
    Member.objects.filter(pk=member.pk).update(updated_at=member.updated_at.replace(year=2030))
    assert changed_tables(after_insert, snapshot()) == ["partnerships.Member"]
