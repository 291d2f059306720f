"""Real servers for the request-limit tests: gunicorn serving the project (with the body probe of
tests/security/body_limit_urls.py), and nginx in front of it with the proxy configuration of
docker-compose.yml (deploy/nginx/templates/default.conf.template). Plus a little raw HTTP, so
that a test controls exactly what is sent and when."""

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "templates" / "default.conf.template"


@dataclass
class Server:
    host: str
    port: int
    probe_log: Path

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def probe_events(self) -> list[str]:
        return self.probe_log.read_text().splitlines()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"{what} did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)


@contextmanager
def gunicorn(folder: Path):
    """The deployed configuration (deploy/gunicorn.conf.py: the application loaded and warmed
    up in the master) with one sync worker, the tests' settings with the probe's URLs, one
    trusted proxy. Its log is `<folder>/gunicorn.log`."""
    port = free_port()
    probe_log, errors = folder / "probe.log", folder / "gunicorn.log"
    probe_log.touch()
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
    env.update(DJANGO_SETTINGS_MODULE="tests.security.body_limit_settings", BODY_PROBE_LOG=str(probe_log),
               STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
               TRUSTED_PROXY_COUNT="1")
    with errors.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "lsp_portal.wsgi:application",
             "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "60", "--chdir", str(ROOT)],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            _wait_for(port, process, errors, "gunicorn")
            yield Server("127.0.0.1", port, probe_log)
        finally:
            process.terminate()
            process.wait(timeout=10)


def nginx_path() -> str | None:
    return shutil.which(os.environ.get("NGINX_PATH", "nginx"))


@contextmanager
def nginx(folder: Path, upstream: Server):
    """nginx with the compose file's server block, rendered as the official image renders it,
    pointed at `upstream` instead of the compose service `web`."""
    binary = nginx_path()
    port = free_port()
    server_block = NGINX_TEMPLATE.read_text()
    assert server_block.count("${MAX_REQUEST_BODY_BYTES}") >= 1
    server_block = (server_block.replace("${MAX_REQUEST_BODY_BYTES}", str(settings.MAX_REQUEST_BODY_BYTES))
                    .replace("server web:8000;", f"server 127.0.0.1:{upstream.port};")
                    .replace("listen 80;", f"listen 127.0.0.1:{port};"))
    (folder / "default.conf").write_text(server_block)
    temp = "\n".join(f"  {directive} {folder / name};" for directive, name in [
        ("client_body_temp_path", "body"), ("proxy_temp_path", "proxy"),
        ("fastcgi_temp_path", "fastcgi"), ("uwsgi_temp_path", "uwsgi"), ("scgi_temp_path", "scgi")])
    (folder / "nginx.conf").write_text(
        f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'nginx.log'};\n"
        f"events {{ worker_connections 64; }}\n"
        f"http {{\n  access_log off;\n{temp}\n  include {folder / 'default.conf'};\n}}\n")
    command = [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "nginx.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30, check=False)
    assert checked.returncode == 0, checked.stderr
    log = folder / "nginx.log"
    process = subprocess.Popen([*command, "-g", "daemon off; master_process off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port, process, log, "nginx")
        yield Server("127.0.0.1", port, upstream.probe_log)
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- Raw HTTP ------------------------------------------------------------------------------------


def request_head(method: str, path: str, host: str, *headers: str) -> bytes:
    return "\r\n".join([f"{method} {path} HTTP/1.1", f"Host: {host}", *headers, "", ""]).encode()


def read_response(sock: socket.socket, into: bytearray) -> None:
    """Reads one response into `into`: up to its Content-Length, or until the connection ends."""
    try:
        while True:
            end = into.find(b"\r\n\r\n")
            if end >= 0:
                head = into[:end].decode("latin-1").lower()
                for line in head.split("\r\n"):
                    if line.startswith("content-length:") and len(into) >= end + 4 + int(line.split(":")[1]):
                        return
            chunk = sock.recv(65536)
            if not chunk:
                return
            into.extend(chunk)
    except OSError:
        return


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else 0
