"""Response headers every page needs, and the limit on what a request may send.

Placed in MIDDLEWARE (lsp_portal/settings.py) as follows:

- PermissionsPolicyMiddleware, near the top: a Permissions-Policy header refusing the browser
  features the service never uses, on every response including static files.
- PrivateResponseMiddleware, after the session: `Cache-Control: no-store, private` on every
  response to someone signed in (pages, exports, letters, evidence downloads, API answers), so
  neither the browser nor anything between keeps a copy. Public pages for people not signed in
  keep whatever caching they had.
- RequestBodyLimitMiddleware, innermost but for axes: a body larger than MAX_REQUEST_BODY_BYTES is
  answered 413 (templates/413.html) before anything reads it. A declared Content-Length is
  checked before the view runs; a body sent without one (chunked) is read through a stream that
  stops at the limit, and a request that tried to go past it is answered 413 whatever the view
  made of the refusal.

docs/adr/0014-request-limits-and-throttling.md records why.

CpuTimingMiddleware, first of all and only under the bench setting BENCH_CPU_HEADER: the CPU
time each request took, in a Server-Timing header (bench/README.md).
"""

import io
import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import MiddlewareNotUsed, RequestDataTooBig
from django.shortcuts import render

PRIVATE_CACHE_CONTROL = "no-store, private"


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY_DENIED)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


def _signed_in(request) -> bool:
    """A session with a signed-in user in it. Read from the session rather than request.user so
    that no user is loaded for it, and so that it holds whatever the view did to request.user
    (the read API replaces it with its own, token-based, answer)."""
    session = getattr(request, "session", None)
    return session is not None and SESSION_KEY in session


class PrivateResponseMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Before and after the view: signing out ends the session, signing in starts one, and
        # both answers are still someone's.
        private = _signed_in(request) or "HTTP_AUTHORIZATION" in request.META
        response = self.get_response(request)
        if private or _signed_in(request):
            response["Cache-Control"] = PRIVATE_CACHE_CONTROL
            if "Expires" in response:
                del response["Expires"]
        return response


class RequestBodyTooLarge(RequestDataTooBig):
    """Raised by LimitedBody when a request's body goes past MAX_REQUEST_BODY_BYTES. Django
    answers it 400 (a SuspiciousOperation) wherever it is raised; RequestBodyLimitMiddleware
    turns that answer into the 413 page."""


class LimitedBody(io.RawIOBase):
    """A request body with no declared length, read from the server's stream (wsgi.input) up to
    `limit` bytes; reading more raises RequestBodyTooLarge and marks the request."""

    def __init__(self, stream, limit: int, request):
        self._stream = stream
        self._limit = limit
        self._request = request
        self._position = 0

    def readable(self) -> bool:
        return True

    def _take(self, data: bytes) -> bytes:
        self._position += len(data)
        if self._position > self._limit:
            self._request.body_too_large = True
            raise RequestBodyTooLarge(
                f"Request body over MAX_REQUEST_BODY_BYTES ({self._limit} bytes)")
        return data

    def read(self, size: int | None = -1) -> bytes:
        allowed = self._limit + 1 - self._position  # one byte more than the limit shows it is over
        if size is None or size < 0:
            chunks = []
            while True:
                chunk = self._take(self._stream.read(min(64 * 1024, max(allowed, 1))))
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
                allowed -= len(chunk)
        return self._take(self._stream.read(min(size, max(allowed, 1))))

    def readline(self, size: int | None = -1) -> bytes:
        allowed = self._limit + 1 - self._position
        if size is None or size < 0 or size > allowed:
            size = max(allowed, 1)
        return self._take(self._stream.readline(size))


def request_too_large(request):
    limit = settings.MAX_REQUEST_BODY_BYTES
    return render(request, "413.html", {"limit_mb": f"{limit / (1024 * 1024):.0f}"}, status=413)


def _declared_length(request) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.MAX_REQUEST_BODY_BYTES
        declared = _declared_length(request)
        if declared is not None and declared > limit:
            return request_too_large(request)
        if declared is None and "HTTP_TRANSFER_ENCODING" in request.META and "wsgi.input" in request.META:
            # Django reads a body only up to its declared length (none here, so nothing); the
            # body is read instead, up to the limit, from the server's stream. `_stream` is where
            # Django's WSGIRequest keeps the stream it reads the body from.
            request._stream = LimitedBody(request.META["wsgi.input"], limit, request)
        response = self.get_response(request)
        if getattr(request, "body_too_large", False):
            return request_too_large(request)
        return response


class CpuTimingMiddleware:
    """Bench only (BENCH_CPU_HEADER, off by default): a `Server-Timing: cpu;dur=<ms>, app;dur=<ms>`
    header giving the CPU time this thread spent on the request (time.thread_time(), so time
    waiting for the database or another process is not counted, nor the work of the other
    threads of a gthread worker) and the time the request spent in Django from start to end
    (waits included), for the load test to report per page (bench/load/locustfile.py): what a
    latency has beyond `app` was spent before Django saw the request (in the listen queue,
    waiting for a free worker) or after (sending, the load generator's own delays). First in
    MIDDLEWARE so it covers every other middleware. A streamed response's header is sent before
    its body, so it counts only the work up to then."""

    def __init__(self, get_response):
        if not getattr(settings, "BENCH_CPU_HEADER", False):
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        started, began = time.thread_time(), time.perf_counter()
        response = self.get_response(request)
        cpu_ms = (time.thread_time() - started) * 1000
        app_ms = (time.perf_counter() - began) * 1000
        response["Server-Timing"] = f"cpu;dur={cpu_ms:.1f}, app;dur={app_ms:.1f}"
        return response
