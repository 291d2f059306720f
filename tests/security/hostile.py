"""Hostile values for every form field, and what must hold however they are answered."""

import datetime as dt
import re

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from hypothesis import strategies as st

XSS_MARKERS = ('<script>alert("lsp-xss")</script>', '"><img src=x onerror=alert(1)>')
NASTY = [
    *XSS_MARKERS,
    "", " ", "\x00", "a\x00b", "\r\n\t\x0b\x0c\x1b[31m", "\u202e\u200b\ufeff", "😀" * 5,
    "{{ 7*7 }}", "{% debug %}", "'; DROP TABLE partnerships_member; --", "%s%s%n", "${jndi:x}",
    "=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-1", "@SUM(A1)",
    "0", "-0", "1e309", "NaN", "Infinity", "-Infinity", "0x10", "1_000", "١٢٣",
    "99999999999999999999999999999999999999", "-99999999999999999999", "3.14159265358979323846264338",
    "31/02/2002", "2002-02-31", "0000-00-00", "9999-12-31", "10000-01-01", "-2002-01-01",
    "true", "null", "[]", "{}", "../../etc/passwd", "C:\\boot.ini",
]
PROJECT_APPS = ("core", "partnerships", "accreditation", "funding", "performance")

_text = st.text(max_size=40)
_overlong = st.tuples(st.text(min_size=1, max_size=3), st.integers(300, 6000)).map(lambda t: t[0] * t[1])
_numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
_dates = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(str)
HOSTILE = st.one_of(st.sampled_from(NASTY), _text, _overlong, _numbers, _dates)


def _bad_file(pair) -> SimpleUploadedFile:
    name, content = pair
    return SimpleUploadedFile(name, content, content_type="application/pdf")


PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <<>>\n%%EOF\n"
BAD_FILES = st.sampled_from([
    ("report.pdf", b"MZ\x90\x00\x03 this is a Windows program"),
    ("../../../etc/cron.d/evil.pdf", PDF),
    ("..\\..\\windows\\evil.pdf", PDF),
    ("<script>alert(1)</script>.pdf", PDF),
    ("report.pdf.exe", PDF),
    ("empty.pdf", b""),
    ("page.html", b"<html><script>alert(1)</script></html>"),
    ("allocations.csv", b"authority,fund,year,amount,source\n=HYPERLINK(\"x\"),NRF,2002/03,1,HL\n"),
    ("allocations.xlsx", b"PK\x03\x04 not really a zip"),
    ("a" * 300 + ".pdf", PDF),
]).map(_bad_file)


def field_values(known: list[str], *, is_file: bool = False):
    """A value for one field: one it is meant to take (so deeper code is reached), a hostile
    one, or several at once (a list where one value is expected)."""
    if is_file:
        return BAD_FILES
    choices = [HOSTILE, st.lists(HOSTILE, min_size=2, max_size=3)]
    if known:
        choices.insert(0, st.sampled_from(sorted(set(known))))
    return st.one_of(*choices)


def _plausible(name: str, known: list[str]) -> str:
    if known:
        return known[0]
    if re.search(r"_[012]$", name):  # GOV.UK date parts: day, month, year
        return {"0": "28", "1": "3", "2": "2003"}[name[-1]]
    return "A reasonable answer"


def form_data(fields: dict[str, list[str]], files: set[str] = frozenset()):
    """POST data for a form: either any field missing or hostile, or a plausible filling with
    one field made hostile or left out (which reaches the code behind the validation)."""
    anything = st.fixed_dictionaries({}, optional={
        name: field_values(known, is_file=name in files) for name, known in fields.items()
    })
    plausible = {name: _plausible(name, known) for name, known in fields.items()
                 if name not in files}
    if not plausible:
        return anything

    def spoil(choice):
        name, value, drop = choice
        data = dict(plausible)
        if drop:
            data.pop(name)
        else:
            data[name] = value
        return data

    one_spoiled = st.tuples(st.sampled_from(sorted(plausible)), HOSTILE, st.booleans()).map(spoil)
    return st.one_of(anything, one_spoiled)


def snapshot() -> dict[str, tuple]:
    """Per table of the project's apps: the row count, the highest id and the latest update,
    read in one query (it runs around every request of the sweeps)."""
    parts = []
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label not in PROJECT_APPS or meta.proxy:
            continue
        fields = {f.name for f in meta.concrete_fields}
        updated = "CAST(MAX(updated_at) AS VARCHAR(40))" if "updated_at" in fields else "NULL"
        parts.append(f"SELECT '{meta.label}', COUNT(*), MAX({meta.pk.column}), {updated} "  # noqa: S608
                     f"FROM {connection.ops.quote_name(meta.db_table)}")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {label: tuple(rest) for label, *rest in cursor.fetchall()}


def changed_tables(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


def reflected_markup(body: str) -> list[str]:
    return [marker for marker in ("<script>alert(\"lsp-xss\")", "<img src=x onerror") if marker in body]
