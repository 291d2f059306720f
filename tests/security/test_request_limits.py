"""A request body larger than anything the portal accepts is refused before it is read.

The largest thing anyone sends is an evidence file (10 MB) with its form; MAX_REQUEST_BODY_BYTES
allows that plus 1 MB. A larger declared Content-Length is answered 413 (the GOV.UK page,
templates/413.html) before the view runs or a byte of the body is read; a body sent chunked,
with no length, is read only up to the limit and then answered 413 (core/middleware.py). Shown
here in-process with a body that counts what is read of it, and through a real gunicorn.
"""

import os
import shutil
import socket
import subprocess
import threading
import time

import pytest
import yaml
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accreditation import evidence
from accreditation.models import EvidenceFile

from . import body_limit_urls, servers
from .world import build_world

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
    assert declared.status_code == 200 and declared.text == f"read {limit} from 127.0.0.1"
    chunked = _post(Client(), CountedBody(limit), declared=None, content_type="application/octet-stream")
    assert chunked.status_code == 200 and chunked.text == f"read {limit} from 127.0.0.1"
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


# --- Through gunicorn, and nginx in front of it as in docker-compose.yml ----------------------------


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    with servers.gunicorn(tmp_path_factory.mktemp("gunicorn")) as server:
        yield server


@pytest.fixture(scope="module")
def proxy(gunicorn, tmp_path_factory):
    if not servers.nginx_path():
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REQUIRE_SERVICES=1 but nginx is not installed (set NGINX_PATH)", pytrace=False)
        pytest.skip("nginx is not installed (set NGINX_PATH)")
    with servers.nginx(tmp_path_factory.mktemp("nginx"), gunicorn) as server:
        yield server


@pytest.fixture
def events(gunicorn):
    gunicorn.probe_log.write_text("")
    return gunicorn.probe_events


def _declared(server, length: int, body: bytes = b"", spoofed: str = "") -> bytes:
    """POST to the probe declaring `length`, sending only `body` of it, and the answer."""
    received = bytearray()
    with socket.create_connection(server.address, timeout=15) as sock:
        sock.sendall(servers.request_head(
            "POST", PROBE, server.host, "Content-Type: application/octet-stream",
            f"Content-Length: {length}", "Connection: close",
            *([f"X-Forwarded-For: {spoofed}"] if spoofed else [])) + body)
        servers.read_response(sock, received)
    return bytes(received)


def _chunked(server, size: int) -> tuple[bytes, int]:
    """POST `size` bytes to the probe chunked, with no length: the answer and how much of the
    body the server let the client send before it answered and closed the connection."""
    received = bytearray()
    sent = 0
    with socket.create_connection(server.address, timeout=30) as sock:
        sock.sendall(servers.request_head(
            "POST", PROBE, server.host, "Content-Type: application/octet-stream",
            "Transfer-Encoding: chunked", "Connection: close"))
        reader = threading.Thread(target=servers.read_response, args=(sock, received), daemon=True)
        reader.start()
        chunk = b"a" * 65536
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        try:
            while sent < size and reader.is_alive():
                sock.sendall(frame)
                sent += len(chunk)
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed the connection: the rest was never taken
        reader.join(timeout=30)
    return bytes(received), sent


def _is_the_413_page_over_http(response: bytes) -> bool:
    return (servers.status_of(response) == 413
            and "<title>What you sent is too big – LSP Portal</title>".encode() in response)


def test_gunicorn_answers_a_declared_50_mb_body_413_before_a_byte_of_it_is_sent(gunicorn, events):
    # No body is sent at all: an application that read it would wait for it (and time out).
    started = time.monotonic()
    response = _declared(gunicorn, FIFTY_MB)
    assert _is_the_413_page_over_http(response), response[:300]
    assert time.monotonic() - started < 10
    assert events() == []


def test_gunicorn_stops_reading_a_chunked_50_mb_body_at_the_limit_and_answers_413(gunicorn, events):
    response, sent = _chunked(gunicorn, FIFTY_MB)
    assert _is_the_413_page_over_http(response), response[:300]
    assert sent < FIFTY_MB, "the server took all 50 MB"
    assert events() == ["started"]


def test_the_proxy_answers_a_declared_50_mb_body_with_the_portals_413_page_unread(proxy, events):
    started = time.monotonic()
    response = _declared(proxy, FIFTY_MB)
    assert _is_the_413_page_over_http(response), response[:300]
    assert time.monotonic() - started < 10
    assert events() == [], "the body reached the portal's view"


def test_the_proxy_refuses_a_chunked_50_mb_body_at_the_limit(proxy, events):
    response, sent = _chunked(proxy, FIFTY_MB)
    assert _is_the_413_page_over_http(response), response[:300]
    assert sent < FIFTY_MB
    assert events() == []


def test_the_proxy_and_the_portal_have_the_same_limit(proxy, events):
    limit = settings.MAX_REQUEST_BODY_BYTES
    at_limit = _declared(proxy, limit, b"a" * limit)
    assert servers.status_of(at_limit) == 200, at_limit[:300]
    assert at_limit.endswith(f"read {limit} from 127.0.0.1".encode())
    over = _declared(proxy, limit + 1, b"a" * (limit + 1))
    assert _is_the_413_page_over_http(over), over[:300]
    assert events() == ["started", f"read {limit}"]


def test_behind_the_proxy_the_portal_sees_the_client_not_what_it_wrote(proxy, events):
    """The proxy appends the address it was called from to X-Forwarded-For; with
    TRUSTED_PROXY_COUNT=1 that is the address the portal throttles sign-ins by."""
    answer = _declared(proxy, 5, b"hello", spoofed="192.0.2.66")
    assert answer.endswith(b"read 5 from 127.0.0.1"), answer[-200:]


# --- docker-compose.yml -------------------------------------------------------------------------


def _compose() -> dict:
    return yaml.safe_load((servers.ROOT / "docker-compose.yml").read_text())


def _default(value: str) -> str:
    """'${NAME:-default}' -> 'default'."""
    assert value.startswith("${") and ":-" in value, value
    return value[value.index(":-") + 2:-1]


def test_compose_puts_the_proxy_in_front_of_gunicorn_with_the_same_limit():
    services = _compose()["services"]
    web, proxy = services["web"], services["proxy"]
    assert "ports" not in web, "gunicorn must be reached only through the proxy"
    assert proxy["image"].startswith("nginx:")
    assert proxy["ports"] == ["8000:80"]
    assert "./deploy/nginx/templates:/etc/nginx/templates:ro" in proxy["volumes"]
    limit = str(settings.MAX_REQUEST_BODY_BYTES)
    assert _default(proxy["environment"]["MAX_REQUEST_BODY_BYTES"]) == limit
    assert _default(web["environment"]["MAX_REQUEST_BODY_BYTES"]) == limit
    assert _default(web["environment"]["TRUSTED_PROXY_COUNT"]) == "1"
    template = servers.NGINX_TEMPLATE.read_text()
    assert "client_max_body_size ${MAX_REQUEST_BODY_BYTES};" in template
    assert "server web:8000;" in template and "listen 80;" in template


def test_the_compose_file_validates():
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose is not installed")
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(["docker-compose", "-f", "docker-compose.yml", "config", "-q"],
                            cwd=servers.ROOT, env={**env, "SECRET_KEY": "validate-only"},
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


def test_the_deployed_gunicorn_warms_up_in_the_master_before_forking_its_workers(gunicorn):
    """deploy/gunicorn.conf.py loads the application once and warms it up (lsp_portal/warmup.py)
    before any worker is forked, so no worker's first requests compile templates."""
    log = (gunicorn.probe_log.parent / "gunicorn.log").read_text()
    assert "warmed up before forking" in log, log[-2000:]
    assert log.index("warmed up before forking") < log.index("Booting worker"), log[-2000:]
