"""A request body larger than anything the portal accepts is refused before it is read.

The largest thing anyone sends is an evidence file (10 MB) with its form; MAX_REQUEST_BODY_BYTES
allows that plus 1 MB. A larger declared Content-Length is answered 413 (the GOV.UK page,
templates/413.html) before the view runs or a byte of the body is read; a body sent chunked,
with no length, is read only up to the limit and then answered 413 (core/middleware.py). Shown
here in-process with a body that counts what is read of it, and through a real gunicorn.
"""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accreditation import evidence
from accreditation.models import EvidenceFile

from . import body_limit_urls
from .world import build_world

ROOT = Path(__file__).resolve().parents[2]
FIFTY_MB = 50 * 1024 * 1024
PROBE = "/__probe__/"


class CountedBody:
    """A request body of `size` bytes, made as it is read, that counts what was read of it."""

    def __init__(self, size: int):
        self.size = size
        self.read_bytes = 0

    def read(self, n: int | None = -1) -> bytes:
        left = self.size - self.read_bytes
        n = left if n is None or n < 0 else min(n, left)
        self.read_bytes += n
        return b"a" * n

    readline = read


@pytest.fixture
def probe():
    body_limit_urls.EVENTS.clear()
    return body_limit_urls.EVENTS


def _post(client: Client, body: CountedBody, *, declared: int | None, url: str = PROBE,
          content_type: str = "application/x-www-form-urlencoded"):
    extra = {"wsgi.input": body, "CONTENT_TYPE": content_type}
    if declared is None:
        extra["HTTP_TRANSFER_ENCODING"] = "chunked"
    else:
        extra["CONTENT_LENGTH"] = str(declared)
    return client.generic("POST", url, b"", **extra)


def _is_the_413_page(answer) -> bool:
    text = answer.content.decode()
    return (answer.status_code == 413 and "<title>What you sent is too big – LSP Portal</title>" in text
            and 'class="govuk-heading-l"' in text and "at most 11 MB" in text)


def test_the_limit_is_the_largest_evidence_file_and_room_for_its_form():
    assert settings.MAX_REQUEST_BODY_BYTES == evidence.MAX_FILE_BYTES + 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= settings.MAX_REQUEST_BODY_BYTES


# --- In-process --------------------------------------------------------------------------------


@pytest.mark.urls("tests.security.body_limit_urls")
@pytest.mark.django_db
def test_a_declared_50_mb_body_is_refused_before_the_view_runs_or_a_byte_is_read(probe):
    body = CountedBody(FIFTY_MB)
    answer = _post(Client(), body, declared=FIFTY_MB)
    assert _is_the_413_page(answer)
    assert probe == []
    assert body.read_bytes == 0


@pytest.mark.urls("tests.security.body_limit_urls")
@pytest.mark.django_db
def test_a_chunked_50_mb_body_is_read_only_up_to_the_limit_then_refused(probe):
    body = CountedBody(FIFTY_MB)
    answer = _post(Client(raise_request_exception=False), body, declared=None)
    assert _is_the_413_page(answer)
    assert probe == ["started"], "the view went on with a body over the limit"
    assert settings.MAX_REQUEST_BODY_BYTES < body.read_bytes <= settings.MAX_REQUEST_BODY_BYTES + 64 * 1024


@pytest.mark.urls("tests.security.body_limit_urls")
@pytest.mark.django_db
def test_bodies_up_to_the_limit_reach_the_view_whole(probe):
    limit = settings.MAX_REQUEST_BODY_BYTES
    declared = _post(Client(), CountedBody(limit), declared=limit, content_type="application/octet-stream")
    assert declared.status_code == 200 and declared.text == f"read {limit}"
    chunked = _post(Client(), CountedBody(limit), declared=None, content_type="application/octet-stream")
    assert chunked.status_code == 200 and chunked.text == f"read {limit}"
    assert probe == ["started", f"read {limit}"] * 2


@pytest.mark.django_db
def test_a_50_mb_evidence_upload_is_refused_with_nothing_read_or_saved():
    world = build_world()
    client = Client()
    client.force_login(world.officer_a)
    before = EvidenceFile.objects.count()
    body = CountedBody(FIFTY_MB)
    url = reverse("accreditation:response-edit", args=[world.a_draft.pk, "R1"])
    answer = _post(client, body, declared=FIFTY_MB, url=url,
                   content_type="multipart/form-data; boundary=----x")
    assert _is_the_413_page(answer)
    assert answer.headers["Cache-Control"] == "no-store, private"  # the signed-in header still
    assert "Sign out" in answer.text
    assert body.read_bytes == 0
    assert EvidenceFile.objects.count() == before


@pytest.mark.django_db
def test_an_evidence_file_of_exactly_10_mb_still_goes_through_the_form():
    world = build_world()
    client = Client()
    client.force_login(world.officer_a)
    head = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\n%"
    tail = b"\ntrailer <<>>\n%%EOF\n"
    content = head + b"0" * (evidence.MAX_FILE_BYTES - len(head) - len(tail)) + tail
    response = world.a_draft.responses.get(requirement__code="R1")
    before = set(EvidenceFile.objects.values_list("pk", flat=True))
    answer = client.post(reverse("accreditation:response-edit", args=[world.a_draft.pk, "R1"]), {
        "self_rating": "green", "case": response.case, "version": response.version,
        "action": "upload", "evidence": SimpleUploadedFile("exact.pdf", content, "application/pdf"),
    })
    assert answer.status_code in (200, 302), answer.status_code
    stored = EvidenceFile.objects.exclude(pk__in=before).get()
    assert stored.size == evidence.MAX_FILE_BYTES


# --- Through gunicorn --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """A real gunicorn (one sync worker) serving the project with the probe."""
    folder = tmp_path_factory.mktemp("probe")
    log, errors = folder / "events.log", folder / "gunicorn.log"
    log.touch()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
    env.update(DJANGO_SETTINGS_MODULE="tests.security.body_limit_settings", BODY_PROBE_LOG=str(log),
               STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "lsp_portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--timeout", "60", "--chdir", str(ROOT)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=(stderr := errors.open("w")))
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                stderr.close()
                pytest.fail(f"gunicorn did not start: {errors.read_text()[-2000:]}")
            time.sleep(0.2)
    yield ("127.0.0.1", port), log
    server.terminate()
    server.wait(timeout=10)
    stderr.close()


def _headers(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_until_closed(sock: socket.socket, into: bytearray) -> None:
    try:
        while chunk := sock.recv(65536):
            into.extend(chunk)
    except OSError:
        pass


def test_gunicorn_answers_a_declared_50_mb_body_413_before_a_byte_of_it_is_sent(gunicorn):
    address, log = gunicorn
    with socket.create_connection(address, timeout=15) as sock:
        sock.sendall(_headers([
            f"POST {PROBE} HTTP/1.1", f"Host: {address[0]}", "Content-Type: application/octet-stream",
            f"Content-Length: {FIFTY_MB}", "Connection: close"]))
        # No body is sent at all: an application that read it would wait for it (and time out).
        received = bytearray()
        started = time.monotonic()
        _read_until_closed(sock, received)
    assert received.startswith(b"HTTP/1.1 413"), bytes(received[:200])
    assert time.monotonic() - started < 10
    assert b"What you sent is too big" in received
    assert log.read_text() == ""


def test_gunicorn_stops_reading_a_chunked_50_mb_body_at_the_limit_and_answers_413(gunicorn):
    address, log = gunicorn
    received = bytearray()
    sent = 0
    with socket.create_connection(address, timeout=30) as sock:
        sock.sendall(_headers([
            f"POST {PROBE} HTTP/1.1", f"Host: {address[0]}", "Content-Type: application/octet-stream",
            "Transfer-Encoding: chunked", "Connection: close"]))
        reader = threading.Thread(target=_read_until_closed, args=(sock, received), daemon=True)
        reader.start()
        chunk = b"a" * 65536
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        try:
            while sent < FIFTY_MB:
                sock.sendall(frame)
                sent += len(chunk)
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed the connection: the rest was never taken
        reader.join(timeout=30)
    assert received.startswith(b"HTTP/1.1 413"), bytes(received[:200])
    assert b"What you sent is too big" in received
    assert sent < FIFTY_MB, "the server took all 50 MB"
    assert log.read_text().split() == ["started"]
