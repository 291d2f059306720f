"""Stored HTML injection across roles: text one person saves is never markup on another
person's page.

Two ways in, then every page of the permission matrix as every role that may see it:

- through the forms, found as tests/security/test_hostile_input.py finds them: every text box
  of every form any role may post gets a payload with its own marker, and the form is sent the
  way a person would (its radios chosen, its dates filled, its confirm page confirmed);
- in the database, every free-text column of every row (what other people typed on other
  objects, such as last year's areas of concern shown beside this year's answers; what the NRU
  administrator and the reference data hold).

Each page is parsed; a marker element or a meta refresh fails the test, naming the page and the
field the text was saved through.
"""

import re
from datetime import date
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accreditation.letters import letter_pdf_html
from accreditation.models import Decision, SelfAssessment, Status

from .markup import describe, markup_in, payload, stored_markers, sweep, text_columns
from .matrix import url_for
from .pages import parse_page, post_fields
from .test_hostile_input import EXPLICIT_FIELDS, FORM_PAGES, NO_FIELDS, POST_URLS, poster
from .world import World, build_world

TEXT_KINDS = {"text", "textarea", "search", "tel", "url", "number"}
DATE_PART = re.compile(r"^(.*)_([012])$")
NUMBER = re.compile(r"^-?[\d.,]+$")
FALLBACKS = ("1", "99", "50", "2002", "2005", "A reasonable answer")
# Each decision on an assessment of its own (after one, an assessment is no longer under
# review); those not under review in the world are taken for review first.
DECISIONS = {
    "review:assessment-defer": "c_review",
    "review:assessment-accredit": "e_review",
    "review:assessment-return": "d_submitted",
    "review:assessment-accredit-with-concerns": "a_2002",
}
# Taking an assessment for review, signing off, removing a member, bulk decisions: no text,
# and each would change what the other forms can reach.
SKIPPED = {"review:assessment-start", "review:bulk-accredit", "review:decision-choose",
           "accreditation:assessment-sign-off", "accreditation:assessment-check",
           "accreditation:assessment-start", "partnerships:member-remove", "core:sign-in",
           "accreditation:deferral-sign-off"}
# Fields (by the start of their names) whose text must reach the database through the forms,
# or the test proves little.
MUST_STORE = {
    ("accreditation:response-edit", "case"), ("accreditation:concern-progress", "progress_"),
    ("performance:target-change", "indicator"), ("performance:target-change", "title"),
    ("performance:return-change", "commentary"), ("partnerships:member-change", "organisation"),
    ("review:stakeholder-view-add", "comment"), ("review:response-rate", "go_comment"),
    ("funding:releasepolicy-change", "reason"), ("funding:releasepolicy-override", "reason"),
    ("performance:target-add", "indicator"), ("partnerships:member-add", "organisation"),
    ("accreditation:deferral-answer", "case"), ("accreditation:deferral-concern", "progress"),
}
MUST_STORE_IN_A_DECISION = {
    "review:assessment-defer": {"concern_", "action_", "summary"},
    "review:assessment-accredit-with-concerns": {"concern_", "action_", "summary"},
    "review:assessment-return": {"reason_", "summary"},
    "review:assessment-accredit": {"summary"},
}


class Markers:
    def __init__(self):
        self.origin: dict[int, str] = {}

    def new(self, what: str, max_length: int | None = None) -> str:
        number = len(self.origin) + 1
        self.origin[number] = what
        return payload(number, max_length)


def _error_fields(html: str) -> set[str]:
    """The field names the GOV.UK error summary links to."""
    return {m.group(1) for m in re.finditer(r'href="#id_([\w-]+)"', html)}


def _errors(html: str) -> list[str]:
    """The error summary's messages, for a failure message."""
    return [re.sub(r"<[^>]+>", "", m.group(1)).strip()
            for m in re.finditer(r'<li><a href="#[^"]*">(.*?)</a></li>', html, re.S)]


def _date(value: date) -> tuple[str, str, str]:
    return str(value.day), str(value.month), str(value.year)


class _FormFilling:
    """A person filling one form: text boxes get payloads; radios and selects their first
    choice; dates a past one, then a future one if that is refused; a box whose payload is
    refused (a number) goes back to what it held, or a plausible value."""

    def __init__(self, name: str, form, html: str, markers: Markers):
        self.name = name
        self.data: dict[str, object] = post_fields(html, form.action)
        self.options: dict[str, list[str]] = {}
        self.original = dict(self.data)
        self.payloads: dict[str, str] = {}
        self.dates: dict[str, int] = {}
        self.tried: dict[str, list[str]] = {}  # what else a refused box may hold, in turn
        names = {field for _, field, _ in form.fields}
        self.date_parts = {field for field in names if (part := DATE_PART.match(field))
                           and {f"{part.group(1)}_{n}" for n in "012"} <= names}
        for kind, field, value in form.fields:
            if not field or field == "csrfmiddlewaretoken":
                continue
            if kind in ("option", "radio") and value:
                self.options.setdefault(field, []).append(value)
            if kind in TEXT_KINDS:
                if field in self.date_parts:
                    continue
                if NUMBER.match(self.data.get(field) or ""):  # a figure, kept as it is
                    self.tried[field] = list(FALLBACKS)
                    continue
                self.payloads[field] = markers.new(f"{name} field {field!r}")
                self.data[field] = self.payloads[field]
        for field, choices in self.options.items():
            if not self.data.get(field):
                self.data[field] = choices[0]

    def refused(self, fields: set[str]) -> bool:
        """Change what was refused; False when nothing is left to try."""
        changed = False
        for field in fields:
            if field in self.date_parts or f"{field}_0" in self.date_parts:
                base = DATE_PART.match(field).group(1) if field in self.date_parts else field
                tried = self.dates.get(base, 0)
                if tried < 2:
                    self.dates[base] = tried + 1
                    when = date(2003, 3, 28) if tried == 0 else date(date.today().year + 1, 3, 28)
                    for n, text in enumerate(_date(when)):
                        self.data[f"{base}_{n}"] = text
                    changed = True
                continue
            if field in self.payloads:
                del self.payloads[field]
                original = self.original.get(field)
                self.tried[field] = [v for v in (original, *FALLBACKS) if v]
            if self.tried.get(field):
                self.data[field] = self.tried[field].pop(0)
                changed = True
            elif field in self.options and self.data.get(field) != self.options[field][0]:
                self.data[field] = self.options[field][0]
                changed = True
        return changed


def _csv_with_payloads(markers: Markers) -> SimpleUploadedFile:
    cells = [markers.new(f"allocation import column {column!r}").replace('"', "'")
             for column in ("authority", "fund", "year", "amount", "source")]
    text = "authority,fund,year,amount,source\n" + ",".join(f'"{c}"' for c in cells) + "\n"
    return SimpleUploadedFile("figures.csv", text.encode(), content_type="text/csv")


def _send(world: World, name: str, markers: Markers, landed: list[str],
          url: str = "") -> tuple[str, set[str]]:
    """Fill and send the form that posts to `name` (at `url`, else the table's) as the role the
    table lets post; returns what happened and the fields whose payload was accepted."""
    role = poster(name)
    client = Client(raise_request_exception=False)
    client.force_login(world.user(role))
    page_url = url or (FORM_PAGES[name](world) if name in FORM_PAGES else url_for(world, name))
    url = url or url_for(world, name)
    page = client.get(page_url)
    html = page.content.decode()
    forms = [f for f in parse_page(html).forms
             if f.method == "post" and (urlsplit(f.action).path if f.action else page_url) == url]
    if not forms:
        return f"no form posting to {url} on its page ({page.status_code})", set()
    filling = _FormFilling(name, forms[0], html, markers)
    files = {}
    if name == "reporting:allocations-import":
        files = {"file": _csv_with_payloads(markers)}
    for _ in range(20):
        response = client.post(url, {**filling.data, **files})
        body = response.content.decode("utf-8", "replace") if not response.streaming else ""
        if response.status_code >= 500:
            return f"answered {response.status_code}", set()
        if 300 <= response.status_code < 400:
            landed.append(response["Location"])
            return "saved", set(filling.payloads)
        if files:  # the import's preview page: nothing is stored, the page itself is checked
            problems = describe(markup_in(body), f"POST {url} as {role}", markers.origin)
            return ("preview: " + "; ".join(problems)) if problems else "previewed", set()
        confirm = [f for f in parse_page(body).forms if f.method == "post"
                   and any(n == "confirm" for _, n, _ in f.fields)]
        if confirm and response.status_code == 200 and not _error_fields(body):
            action = confirm[0].action
            done = client.post(urlsplit(action).path if action else url,
                               {**post_fields(body, action), "confirm": "yes"})
            if 300 <= done.status_code < 400:
                landed.append(done["Location"])
                return "saved after confirming", set(filling.payloads)
            return f"confirm answered {done.status_code}", set()
        if not filling.refused(_error_fields(body)):
            return f"refused ({response.status_code}): {_errors(body)}", set()
    return "still refused after 20 tries", set()


def _forms_in_order() -> list[str]:
    return [n for n in POST_URLS
            if n not in SKIPPED and n not in NO_FIELDS and n not in DECISIONS
            and (n not in EXPLICIT_FIELDS or n == "reporting:allocations-import")]


def _decide(world: World, name: str, markers: Markers, landed: list[str]) -> tuple[str, set[str]]:
    assessment = SelfAssessment.objects.get(pk=getattr(world, DECISIONS[name]).pk)
    if assessment.status != Status.UNDER_REVIEW:
        client = Client(raise_request_exception=False)
        client.force_login(world.reviewer_1)
        client.post(reverse("review:assessment-start", args=[assessment.pk]),
                    {"version": assessment.version})
    return _send(world, name, markers, landed, url=reverse(name, args=[assessment.pk]))


@pytest.mark.django_db
def test_text_typed_into_any_form_is_never_markup_on_any_page():
    world = build_world()
    markers = Markers()
    landed: list[str] = []
    outcomes, stored_through = {}, set()
    for name in [*_forms_in_order(), *DECISIONS]:
        send = _decide if name in DECISIONS else _send
        outcome, fields = send(world, name, markers, landed)
        outcomes[name] = outcome
        stored_through |= {(name, f) for f in fields}
    wanted = MUST_STORE | {(name, f) for name, fields in MUST_STORE_IN_A_DECISION.items()
                           for f in fields}
    missing = [f"{name} {field!r}: {outcomes[name]}" for name, field in sorted(wanted)
               if not any(n == name and f.startswith(field) for n, f in stored_through)]
    assert not missing, "Text that did not reach the database:\n  " + "\n  ".join(missing)
    assert stored_markers(), "no payload was stored"
    problems, read = sweep(world, markers.origin, extra_urls=sorted(set(landed)))
    problems += [f"{name}: {outcome}" for name, outcome in outcomes.items()
                 if outcome.startswith(("preview:", "answered"))]
    assert read > 50, f"only {read} pages were read: the sweep is broken"
    if problems:
        pytest.fail("Text saved by one role came out as markup:\n" + "\n".join(problems),
                    pytrace=False)


def _seed_every_text(markers: Markers) -> int:
    """Every free-text column of every row gets a payload of its own; returns how many."""
    seeded = 0
    for model, f in text_columns():
        if model._meta.label == "funding.ReleaseEntry":
            continue  # append-only, and its notes are written by the portal, never typed
        for pk in model._default_manager.values_list("pk", flat=True):
            text = markers.new(f"{model._meta.label}.{f.name} (row {pk})", f.max_length)
            model._default_manager.filter(pk=pk).update(**{f.name: text})
            seeded += 1
    return seeded


@pytest.mark.django_db
def test_stored_text_is_never_markup_on_any_page():
    world = build_world()
    markers = Markers()
    with transaction.atomic():
        seeded = _seed_every_text(markers)
    assert seeded > 100
    problems, read = sweep(world, markers.origin)
    decisions = list(Decision.objects.all())
    assert decisions, "no decision in the world: no letter was checked"
    for decision in decisions:
        problems += describe(markup_in(letter_pdf_html(decision)),
                             f"the PDF letter of decision {decision.pk}", markers.origin)
    assert read > 50, f"only {read} pages were read: the sweep is broken"
    if problems:
        pytest.fail("Stored text came out as markup:\n" + "\n".join(problems), pytrace=False)


def test_the_finder_sees_markup_and_not_escaped_text():
    text = payload(7)
    assert not markup_in(f"<p>{text.replace('<', '&lt;').replace('>', '&gt;')}</p>")
    found = markup_in(f'<p title="{text}">x</p>')  # unescaped in an attribute: breaks out
    assert found.markers == [(7, "b")] and found.refreshes == 1
    assert markup_in(f"<span class='govuk-hint'>{text}</span>").markers == [(7, "b")]
    assert not markup_in(f"<script nonce='n'>var x = '{text[3:]}';</script>").markers
    assert len(payload(12, 20)) <= 20 and 'id="xss-12"' in payload(12, 20)
