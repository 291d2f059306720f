"""A person at a browser during a fault, with the standard library only (no Django here: this is
the outside view). Prints JSON lines for run.sh.

    python bench/faults/probe.py watch BASE EMAIL PASSWORD PATH SECONDS
        GET PATH every 0.2 s; each answer: when it came (epoch seconds), status, whether a 500
        is the GOV.UK error page
    python bench/faults/probe.py decide BASE EMAIL PASSWORD ASSESSMENT_PK
        a reviewer starts the review and accredits (form, confirm page, confirm), timing each
    python bench/faults/probe.py get BASE EMAIL PASSWORD PATH
"""

import http.cookiejar
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "load"))
from page_forms import form_fields  # bench/load/page_forms.py

GOVUK_500 = "Sorry, there is a problem with the service"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _NoRedirect)

    def request(self, path: str, data: dict | None = None, timeout: float = 30):
        """(status, body, location, milliseconds); status 0 when no answer came."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        started = time.perf_counter()
        try:
            # The base is the portal's own http://127.0.0.1 address, given by run.sh.
            with self.opener.open(urllib.request.Request(self.base + path, data=body),  # noqa: S310
                                  timeout=timeout) as answer:
                status, text, location = answer.status, answer.read().decode(), ""
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode("utf-8", "replace")
            location = error.headers.get("Location", "")
        except (urllib.error.URLError, OSError) as error:
            status, text, location = 0, str(error), ""
        return status, text, location, (time.perf_counter() - started) * 1000

    def form(self, path: str, action: str = "") -> dict:
        """The fields of the page's POST form to `action` (by default the page itself)."""
        status, text, _, _ = self.request(path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        return form_fields(text, *((action,) if action else ("", path)))

    def sign_in(self, email: str, password: str) -> None:
        fields = self.form("/sign-in/", "/sign-in/")
        status, *_ = self.request("/sign-in/", {**fields, "username": email, "password": password})
        if status != 302:
            raise RuntimeError(f"sign-in as {email} answered {status}")


def watch(browser: Browser, path: str, seconds: float) -> None:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        status, text, _, ms = browser.request(path, timeout=10)
        print(json.dumps({"at": round(time.time(), 3), "status": status,
                          "govuk_error_page": status >= 500 and GOVUK_500 in text,
                          "traceback": "Traceback" in text, "ms": round(ms)}), flush=True)
        time.sleep(0.2)


def decide(browser: Browser, pk: int) -> None:
    steps = []

    def step(name, status, ms, expected=(302,)):
        steps.append({"step": name, "status": status, "ms": round(ms), "ok": status in expected})

    detail = f"/review/assessments/{pk}/"
    fields = browser.form(detail, f"{detail}start/")
    status, _, _, ms = browser.request(f"{detail}start/", fields)
    step("start review", status, ms)
    fields = {**browser.form(f"{detail}accredit/"), "summary": "Accredited during a fault."}
    status, text, _, ms = browser.request(f"{detail}accredit/", fields)
    step("accredit (confirm page)", status, ms, (200,))
    fields = {**form_fields(text, "", f"{detail}accredit/"), "confirm": "1"}
    status, _, location, ms = browser.request(f"{detail}accredit/", fields)
    step("accredit", status, ms)
    print(json.dumps({"assessment": pk, "steps": steps,
                      "letter": location, "ok": all(s["ok"] for s in steps)}))


def main(argv: list[str]) -> int:
    command, base, email, password, *rest = argv
    browser = Browser(base)
    browser.sign_in(email, password)
    if command == "watch":
        watch(browser, rest[0], float(rest[1]))
    elif command == "decide":
        decide(browser, int(rest[0]))
    elif command == "get":
        status, text, _, ms = browser.request(rest[0])
        title = re.search(r"<title>(.*?)</title>", text, re.S)
        print(json.dumps({"path": rest[0], "status": status, "ms": round(ms),
                          "title": title.group(1).strip() if title else ""}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
