"""Fifty people at once on the portal: officers saving drafts and their chairs submitting,
Government Office reviewers taking and accrediting assessments, NRU analysts reading the
dashboard and its exports. Run by bench/load/run.sh (which prepares the plan and the servers).

Every write that the portal confirms (a redirect, or 200 JSON from autosave) is recorded; at
the end the record is written to LOAD_RESULTS for verify.py to find in the database. A write
the portal refuses, or any error page, is a locust failure.

Each officer and reviewer works on assessments no other simulated user touches (taken from a
shared queue), so a refusal is a fault of the portal, never two users racing for one row.

Pacing (LOAD_PACE): "page", the default, lets each person pause between the pages of a task as
they read or type (the user class's wait time, 0.5 to 2 s: still far quicker than people are);
"task" pauses only between tasks, so a task's pages (up to seven) follow each other at once, a
stress run that saturates this 2-CPU machine (bench/README.md gives both).
"""

import json
import os
import random
import re
import threading
import time
from collections import Counter

import gevent
from locust import FastHttpUser, between, events, task
from locust.contrib.fasthttp import FastHttpSession
from page_forms import form_fields  # bench/load/page_forms.py, beside this file

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
RESULTS_PATH = os.environ["LOAD_RESULTS"]
PACE = os.environ.get("LOAD_PACE", "page")
if PACE not in ("page", "task"):
    raise SystemExit(f"LOAD_PACE must be page or task, not {PACE!r}")

_lock = threading.Lock()
_officer_work = list(PLAN["officers"])
_reviewer_work = list(PLAN["reviewers"])
RECORD = {"saves": Counter(), "sign_off_requests": [], "submitted": [], "decided": []}


def _take(pool: list):
    with _lock:
        return pool.pop(0) if pool else None


def arrive() -> None:
    """Locust starts the users of each second of its ramp (--spawn-rate 10) in one instant, ten
    sign-ins sent within 50 ms of each other; people arriving at ten a second come at moments
    spread over the second. Each user starts at a random moment of its second: the same ten a
    second (bench/README.md has the run before this, with the bursts)."""
    gevent.sleep(random.uniform(0, 1))


def sign_in(user, client: FastHttpSession, email: str) -> None:
    page = client.get("/sign-in/", name="sign-in (page)")
    pause(user)  # typing the address and the password
    data = {**form_fields(page.text, "/sign-in/"), "username": email, "password": PLAN["password"]}
    with client.post("/sign-in/", data, name="sign-in", allow_redirects=False,
                     catch_response=True) as answer:
        signed_in = expect_redirect(answer, f"sign-in as {email}", r"^/$")
    if signed_in:  # where the browser goes next: the home page of next actions
        client.get("/", name="home (after sign-in)")


def pause(user) -> None:
    """A person reading the page or typing into it before the next request (LOAD_PACE=page)."""
    if PACE == "page":
        user.wait()


def expect_redirect(answer, what: str, to: str) -> bool:
    """A write is confirmed by a redirect to the page that follows it (`to`, a regular
    expression for the path); any other answer, a redirect to sign in included, is a failure."""
    location = answer.headers.get("Location") or answer.headers.get("location") or ""
    if answer.status_code in (302, 303) and re.search(to, location.split("?")[0]):
        answer.success()
        return True
    summary = re.search(r'govuk-error-summary__list">(.*?)</ul>', answer.text or "", re.S)
    said = re.sub(r"<[^>]+>|\s+", " ", summary.group(1)).strip() if summary else ""
    answer.failure(f"{what}: {answer.status_code} {location} {said}".strip())
    return False


class Officer(FastHttpUser):
    """Takes a partnership's draft, changes a few answers (autosave, then save), asks the chair
    to sign off; the chair (a second browser) signs off and submits. Then the next draft."""

    weight = 35
    wait_time = between(0.5, 2)

    def on_start(self):
        arrive()
        self.chair = FastHttpSession(base_url=self.host, request_event=self.environment.events.request,
                                     user=self, network_timeout=self.network_timeout,
                                     connection_timeout=self.connection_timeout)
        self.work = None
        self.edits = 0

    def _next(self) -> bool:
        self.work = _take(_officer_work)
        if self.work is None:
            return False
        self.client.cookiejar.clear()
        self.chair.cookiejar.clear()
        sign_in(self, self.client, self.work["officer"])
        self.edits = 0
        self.target_edits = random.randint(2, 4)
        return True

    @task
    def work_on_a_draft(self):
        if self.work is None and not self._next():
            self._browse()
            return
        if self.edits < self.target_edits:
            self._edit()
        else:
            self._submit()
            self.work = None

    def _browse(self):
        self.client.get("/decisions/", name="public decisions")

    def _edit(self):
        w = self.work
        pk, code = w["assessment"], random.choice(w["codes"])
        self.client.get("/assessments/", name="officer home")
        pause(self)
        self.client.get(f"/assessments/{pk}/", name="task list")
        pause(self)
        url = f"/assessments/{pk}/requirements/{code}/"
        page = self.client.get(url, name="requirement page")
        pause(self)
        fields = form_fields(page.text, "", url)
        version = int(fields["version"])
        case = f"Our case for {code}, revised during the load test ({random.random():.12f})."
        # Autosave while typing, then the Save and continue button.
        with self.client.post(f"{url}autosave/", {"self_rating": "green", "case": case,
                                                  "version": version},
                              headers={"X-CSRFToken": fields["csrfmiddlewaretoken"]},
                              name="autosave", catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"autosave {answer.status_code}: {answer.text[:200]}")
                return
            self._saved(pk, code)
            version = answer.json()["version"]
        pause(self)
        data = {**fields, "self_rating": "green", "case": case + " Final.", "version": version,
                "action": "later"}
        with self.client.post(url, data, name="requirement save", allow_redirects=False,
                              catch_response=True) as answer:
            if expect_redirect(answer, f"save {pk} {code}", rf"^/assessments/{pk}/$"):
                self._saved(pk, code)
        self.edits += 1

    def _saved(self, pk, code):
        with _lock:
            RECORD["saves"][f"{pk}:{code}"] += 1

    def _submit(self):
        pk = self.work["assessment"]
        page = self.client.get(f"/assessments/{pk}/check/", name="check answers")
        pause(self)
        check = f"/assessments/{pk}/check/"
        with self.client.post(check, form_fields(page.text, "", check),
                              name="ask chair to sign off", allow_redirects=False,
                              catch_response=True) as answer:
            if not expect_redirect(answer, f"sign-off request {pk}", rf"^/assessments/{pk}/$"):
                return
        with _lock:
            RECORD["sign_off_requests"].append(pk)
        sign_in(self, self.chair, self.work["chair"])
        page = self.chair.get(f"/assessments/{pk}/sign-off/", name="sign-off page")
        pause(self)
        data = {**form_fields(page.text, "", f"/assessments/{pk}/sign-off/"), "confirm": "on"}
        with self.chair.post(f"/assessments/{pk}/sign-off/", data, name="sign off and submit",
                             allow_redirects=False, catch_response=True) as answer:
            if not expect_redirect(answer, f"submit {pk}", rf"^/assessments/{pk}/submitted/$"):
                return
        with _lock:
            RECORD["submitted"].append(pk)
        self.chair.get(f"/assessments/{pk}/submitted/", name="submitted page")


class Reviewer(FastHttpUser):
    """One per region: works the region's queue, taking each submitted assessment and
    accrediting it (form, then the confirm page that states the money)."""

    fixed_count = 9
    wait_time = between(0.5, 2)

    def on_start(self):
        arrive()
        self.work = _take(_reviewer_work)
        self.queue = list(self.work["assessments"]) if self.work else []
        if self.work:
            sign_in(self, self.client, self.work["email"])

    @task
    def review(self):
        if not self.work:
            return
        self.client.get("/review/", name="review queue")
        if not self.queue:
            return
        pause(self)
        pk = self.queue.pop(0)
        detail = self.client.get(f"/review/assessments/{pk}/", name="review page")
        pause(self)
        start = form_fields(detail.text, f"/review/assessments/{pk}/start/")
        with self.client.post(f"/review/assessments/{pk}/start/", start, name="start review",
                              allow_redirects=False, catch_response=True) as answer:
            if not expect_redirect(answer, f"start review {pk}", rf"^/review/assessments/{pk}/$"):
                return
        page = self.client.get(f"/review/assessments/{pk}/accredit/", name="accredit page")
        pause(self)
        accredit = f"/review/assessments/{pk}/accredit/"
        data = {**form_fields(page.text, "", accredit), "summary": "Accredited during the load test."}
        confirm = self.client.post(f"/review/assessments/{pk}/accredit/", data,
                                   name="accredit (confirm page)")
        pause(self)
        data = {**form_fields(confirm.text, "", accredit), "confirm": "1"}
        with self.client.post(f"/review/assessments/{pk}/accredit/", data, name="accredit",
                              allow_redirects=False, catch_response=True) as answer:
            if not expect_redirect(answer, f"accredit {pk}", r"^/review/decisions/\d+/letter/$"):
                return
            letter = answer.headers.get("Location") or answer.headers.get("location")
        with _lock:
            RECORD["decided"].append(pk)
        self.client.get(letter, name="decision letter")


class Analyst(FastHttpUser):
    """NRU staff: the national dashboard with filters and sorting, a partnership, the exports."""

    fixed_count = 6
    wait_time = between(1, 3)

    def on_start(self):
        arrive()
        sign_in(self, self.client, PLAN["analyst"])
        self.slugs = [o["partnership"] for o in PLAN["officers"]]

    @task(4)
    def dashboard(self):
        self.client.get("/nru/", name="dashboard")

    @task(2)
    def dashboard_filtered(self):
        region = random.choice(["west-midlands", "london", "north-west", "yorkshire-and-the-humber"])
        self.client.get(f"/nru/?region={region}&sort=held&order=desc", name="dashboard (filtered)")

    @task(2)
    def partnership(self):
        self.client.get(f"/nru/partnerships/{random.choice(self.slugs)}/", name="partnership page")

    @task(1)
    def export_csv(self):
        self.client.get("/nru/export.csv", name="export CSV")

    @task(1)
    def export_xlsx(self):
        self.client.get("/nru/export.xlsx", name="export XLSX")


@events.test_stop.add_listener
def _write_results(environment, **kwargs):
    with _lock:
        record = {**RECORD, "saves": dict(RECORD["saves"])}
        record["counts"] = {k: (len(v) if isinstance(v, list) else sum(v.values()))
                            for k, v in RECORD.items()}
    with open(RESULTS_PATH, "w", encoding="utf-8") as out:
        json.dump(record, out, indent=1)


# Every request, for report.py: when it was sent (seconds since the run began), its latency
# and, with BENCH_CPU_HEADER=1, the gunicorn worker's CPU time for it and the time it spent in
# Django, sent in a Server-Timing header (core.middleware.CpuTimingMiddleware). Written to
# LOAD_CPU per page name as [seconds, latency ms, CPU ms, Django ms] (the last two null without
# the header), so the report can give CPU beside latency and tell the first seconds (users still
# arriving, workers' first requests) from the rest.
CPU_PATH = os.environ.get("LOAD_CPU")
_REQUESTS: dict[str, list[list]] = {}
_SERVER_TIMING = re.compile(r"cpu;dur=([0-9.]+), app;dur=([0-9.]+)")
_BEGAN = time.monotonic()


@events.request.add_listener
def _record(name, response_time, response=None, **kwargs):
    header = response.headers.get("Server-Timing") if response is not None else None
    found = _SERVER_TIMING.search(header or "")
    sent = time.monotonic() - _BEGAN - response_time / 1000
    with _lock:
        _REQUESTS.setdefault(name, []).append(
            [round(sent, 3), round(response_time, 1), *(
                (float(found[1]), float(found[2])) if found else (None, None))])


@events.test_start.add_listener
def _begin(environment, **kwargs):
    global _BEGAN
    _BEGAN = time.monotonic()


@events.test_stop.add_listener
def _write_requests(environment, **kwargs):
    if CPU_PATH:
        with _lock, open(CPU_PATH, "w", encoding="utf-8") as out:
            json.dump(_REQUESTS, out)
