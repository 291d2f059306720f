"""Where each page's time goes: the CPU a web process spends on one request of each page of the
load run (bench/load), split into middleware, session and user, queries, template rendering,
PDF writing, spreadsheet writing and the rest of the view.

    python bench/bench_pages.py                  # 10 requests of each page
    python bench/bench_pages.py --requests 20

It makes its own PostgreSQL database (BENCH_DATABASE_URL with `_pages` appended, dropped and
created again), loads the reference data and the demo, and prepares the load run's work
(bench/load/prepare.py: 2003/04 drafts for the officers, submitted assessments for the
reviewers). Then, in this one process, with DEBUG off, Django's test client asks for each page
as its user would (signed in with the deployed password hasher, Argon2id), after two untimed
requests, and times each request with `time.process_time()`: CPU only, never time spent
waiting for PostgreSQL, so the figures hold when the machine is busy.

The slices, per request (medians):
- total: the whole request, every middleware included (as CpuTimingMiddleware measures it
  under the load run);
- middleware: total minus the view (the view's own middleware layer excluded), less the
  session and user below;
- session and user: loading the session and the signed-in user (lazy: often first asked for
  inside the view, counted here wherever it happens);
- queries: this process's CPU to send each query and read its rows (psycopg2 and Django's
  SQL compiler excluded: building the query is counted where it happens);
- templates: rendering, with the queries run during rendering taken out;
- PDF: WeasyPrint writing a letter; spreadsheet: openpyxl writing a workbook;
- view: what is left of the view (Python: forms, selectors, building querysets).

Target: none of its own (the load run's p95 is the target); the slices say where a page's cost
is, for bench/README.md.
"""

import argparse
import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from fresh_database import fresh_postgresql as _fresh_postgresql

sys.path.insert(0, str(Path(__file__).resolve().parent / "load"))
from page_forms import form_fields  # bench/load/page_forms.py

ROOT = Path(__file__).resolve().parent.parent
BROKER = "redis://127.0.0.1:6379/10"
SLICES = ("total", "middleware", "session_user", "queries", "templates", "pdf", "spreadsheet",
          "view")


class Clock:
    """CPU time of each slice of the current request, outermost calls only."""

    def __init__(self):
        self.slices: dict[str, float] = {}
        self.depth: dict[str, int] = {}
        self.reset()

    def reset(self):
        self.slices = dict.fromkeys(
            (*SLICES, "inner", "queries_in_templates", "session_user_in_view"), 0.0)
        self.depth = {}

    @contextmanager
    def slice(self, name: str):
        depth = self.depth.get(name, 0)
        self.depth[name] = depth + 1
        started = time.process_time()
        queries_before = self.slices.get("queries", 0.0)
        try:
            yield
        finally:
            self.depth[name] = depth
            if depth == 0:
                spent = time.process_time() - started
                self.slices[name] += spent
                if name == "session_user" and self.depth.get("inner", 0):
                    self.slices["session_user_in_view"] += spent
                if name == "templates":
                    self.slices["queries_in_templates"] += self.slices["queries"] - queries_before


CLOCK = Clock()


def _wrap(owner, attribute: str, slice_name: str) -> None:
    original = getattr(owner, attribute)

    def timed(*args, **kwargs):
        with CLOCK.slice(slice_name):
            return original(*args, **kwargs)

    setattr(owner, attribute, timed)


def _instrument() -> None:
    """Time the slices: the template engine, the session and the user, WeasyPrint, openpyxl."""
    import django.contrib.auth
    import weasyprint
    from django.contrib.sessions.backends import db as session_db
    from django.template import base

    import reporting.exports
    import reporting.threesixty
    from reporting import spreadsheet

    _wrap(base.Template, "render", "templates")
    _wrap(session_db.SessionStore, "load", "session_user")
    _wrap(django.contrib.auth, "get_user", "session_user")
    _wrap(weasyprint.HTML, "write_pdf", "pdf")
    for module in (spreadsheet, reporting.exports, reporting.threesixty):
        if hasattr(module, "xlsx_bytes"):
            _wrap(module, "xlsx_bytes", "spreadsheet")


class InnermostMiddleware:
    """Last in MIDDLEWARE: times the view, its rendering included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with CLOCK.slice("inner"):
            return self.get_response(request)


def _query_timer(execute, sql, params, many, context):
    with CLOCK.slice("queries"):
        return execute(sql, params, many, context)


def _setup(database_url: str) -> None:
    os.environ.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="lsp_portal.settings",
                      DEBUG="0", ALLOWED_HOSTS="testserver", SESSION_COOKIE_SECURE="0",
                      CSRF_COOKIE_SECURE="0", LOG_LEVEL="WARNING",
                      # As deployed: tasks go to the broker for a worker (none runs here, so
                      # recomputes, emails and warm-ups are queued and left: their cost is the
                      # worker's, not the request's). Redis database 10, emptied afterwards.
                      CELERY_TASK_ALWAYS_EAGER="0", CELERY_BROKER_URL=BROKER,
                      EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                      STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage")
    os.environ.setdefault("SECRET_KEY", "bench-pages-" + os.urandom(24).hex())
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    django.setup()
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.InnermostMiddleware"]
    settings.AXES_ENABLED = True  # as deployed: the lockout bookkeeping is part of sign-in


def _prepare() -> dict:
    from io import StringIO

    from django.core.management import call_command

    from lsp_portal.celery import app

    call_command("migrate", verbosity=0)
    # The demo and the load's work with every recompute applied in this process (the load run
    # drains them on its worker instead); the pages are then measured with tasks queued.
    app.conf.task_always_eager = True
    try:
        call_command("load_reference_data", stdout=StringIO())
        call_command("load_demo", "--force", stdout=StringIO())
        import prepare  # bench/load/prepare.py

        return prepare.prepare()
    finally:
        app.conf.task_always_eager = False


def _split(total: float) -> dict[str, float]:
    """The current request's slices, each counted once, in milliseconds."""
    s = CLOCK.slices
    templates = s["templates"] - s["queries_in_templates"]
    view = (s["inner"] - templates - s["queries"] - s["pdf"] - s["spreadsheet"]
            - s["session_user_in_view"])
    values = {"total": total, "middleware": total - s["inner"] - (s["session_user"]
                                                                  - s["session_user_in_view"]),
              "session_user": s["session_user"], "queries": s["queries"], "templates": templates,
              "pdf": s["pdf"], "spreadsheet": s["spreadsheet"], "view": view}
    return {key: value * 1000 for key, value in values.items()}


def _measure(name: str, make, count: int, results: dict, *, warm: int = 2) -> None:
    """`make()` does any preparation (untimed) and returns the request to time, a callable
    giving the response. `warm` untimed requests first (none for a write that can be made only
    once per object); then `count` timed ones."""
    from django.db import connection

    for _ in range(warm):
        make()()
    per_request: dict[str, list[float]] = {s: [] for s in SLICES}
    with connection.execute_wrapper(_query_timer):
        for _ in range(count):
            request = make()
            CLOCK.reset()
            started = time.process_time()
            response = request()
            if hasattr(response, "streaming_content"):
                with CLOCK.slice("inner"):  # a streamed body is written after the view returns
                    b"".join(response.streaming_content)
            total = time.process_time() - started
            expected = (200,) if response.request["REQUEST_METHOD"] == "GET" else (200, 302)
            assert response.status_code in expected, (name, response.status_code,
                                                      response.get("Location"))
            for key, value in _split(total).items():
                per_request[key].append(value)
    results[name] = {key: statistics.median(v) for key, v in per_request.items()}


def _get(client, url: str):
    return lambda: (lambda: client.get(url))


def run(count: int) -> dict:
    from django.test import Client

    from lsp_portal.warmup import warm_up

    plan = _prepare()
    _instrument()
    warm_up()
    password = plan["password"]
    results: dict[str, dict] = {}

    def signed_in(email: str) -> Client:
        client = Client()
        assert client.post("/sign-in/", {"username": email, "password": password}).status_code == 302
        return client

    anonymous = Client()
    officer = plan["officers"][0]
    _measure("sign-in (page)", _get(anonymous, "/sign-in/"), count, results)

    def sign_in_post():
        client = Client()
        client.get("/sign-in/")
        return lambda: client.post("/sign-in/", {"username": officer["officer"],
                                                 "password": password})

    _measure("sign-in (POST)", sign_in_post, count, results)

    # The officer's pages, on one draft; each save with the version its page gives.
    o = signed_in(officer["officer"])
    pk, code = officer["assessment"], officer["codes"][0]
    url = f"/assessments/{pk}/requirements/{code}/"
    _measure("home, officer", _get(o, "/"), count, results)
    _measure("officer home", _get(o, "/assessments/"), count, results)
    _measure("task list", _get(o, f"/assessments/{pk}/"), count, results)
    _measure("requirement page", _get(o, url), count, results)

    def autosave():
        fields = form_fields(o.get(url).content.decode(), "", url)
        return lambda: o.post(f"{url}autosave/", {"self_rating": "green", "case": "Revised.",
                                                  "version": fields["version"]},
                              HTTP_X_CSRFTOKEN=fields["csrfmiddlewaretoken"])

    def save():
        fields = form_fields(o.get(url).content.decode(), "", url)
        return lambda: o.post(url, {**fields, "self_rating": "green", "case": "Final.",
                                    "action": "later"})

    _measure("autosave (POST)", autosave, count, results)
    _measure("requirement save (POST)", save, count, results)
    _measure("check answers", _get(o, f"/assessments/{pk}/check/"), count, results)

    # Reviewers: each start and each accreditation on an assessment of its own, by the
    # reviewer of its region.
    region_of = {a: rv["email"] for rv in plan["reviewers"] for a in rv["assessments"]}
    reviewers = {email: signed_in(email) for email in sorted(set(region_of.values()))}
    queue = list(region_of)
    first, r = queue[0], reviewers[region_of[queue[0]]]
    _measure("home, reviewer", _get(r, "/"), count, results)
    _measure("review queue", _get(r, "/review/"), count, results)
    _measure("review page", _get(r, f"/review/assessments/{first}/"), count, results)
    untouched, started = iter(queue), []

    def start_review():
        a = next(untouched)
        started.append(a)
        client, start = reviewers[region_of[a]], f"/review/assessments/{a}/start/"
        fields = form_fields(client.get(f"/review/assessments/{a}/").content.decode(), start)
        return lambda: client.post(start, fields)

    _measure("start review (POST)", start_review, min(count, len(queue) - 1), results, warm=0)
    a0 = started[0]
    c0, accredit = reviewers[region_of[a0]], f"/review/assessments/{a0}/accredit/"
    _measure("accredit page", _get(c0, accredit), count, results)
    def accredit_fields(client, url: str) -> dict:
        return {**form_fields(client.get(url).content.decode(), "", url), "summary": "Accredited."}

    confirm_fields = accredit_fields(c0, accredit)
    _measure("accredit (confirm page)", lambda: lambda: c0.post(accredit, confirm_fields), count,
             results)
    to_accredit, letters = iter(started), []

    def accredit_post():
        a = next(to_accredit)
        client, url = reviewers[region_of[a]], f"/review/assessments/{a}/accredit/"
        fields = form_fields(client.post(url, accredit_fields(client, url)).content.decode(), "", url)

        def post():
            response = client.post(url, {**fields, "confirm": "1"})
            assert response.status_code == 302 and "/letter/" in response["Location"], response
            letters.append(response["Location"])
            return response

        return post

    _measure("accredit (POST)", accredit_post, len(started), results, warm=0)
    _measure("decision letter", lambda: lambda: c0.get(letters[0]), count, results)

    # NRU analysts, and the public.
    n = signed_in(plan["analyst"])
    _measure("home, analyst", _get(n, "/"), count, results)
    _measure("dashboard", _get(n, "/nru/"), count, results)
    _measure("dashboard (filtered)", _get(n, "/nru/?region=west-midlands&sort=held&order=desc"),
             count, results)
    _measure("partnership page", _get(n, f"/nru/partnerships/{officer['partnership']}/"), count,
             results)
    _measure("export CSV", _get(n, "/nru/export.csv"), count, results)
    _measure("export XLSX", _get(n, "/nru/export.xlsx"), count, results)
    _measure("public decisions", _get(anonymous, "/decisions/"), count, results)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    base = os.environ.get("BENCH_DATABASE_URL")
    if not base or not base.startswith("postgres"):
        print("bench_pages.py needs PostgreSQL: set BENCH_DATABASE_URL (make bench sets it)")
        return 1
    url = f"{base.rstrip('/')}_pages"
    _fresh_postgresql(url)
    _setup(url)
    started = time.perf_counter()
    try:
        results = run(args.requests)
    finally:
        import redis

        redis.Redis.from_url(BROKER).flushdb()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"CPU ms per request (median of {args.requests}), PostgreSQL, in one process; "
          f"load average {load} ({os.cpu_count()} CPUs); {time.perf_counter() - started:.0f} s")
    labels = {"session_user": "session+user"}
    width = max(map(len, results)) + 2
    print(f"{'page':<{width}}" + "".join(f"{labels.get(s, s):>13}" for s in SLICES))
    for name, values in results.items():
        print(f"{name:<{width}}" + "".join(f"{values[s]:>13.1f}" for s in SLICES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
