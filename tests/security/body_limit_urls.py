"""The project's URLs plus a probe that reads the whole request body, for
tests/security/test_request_limits.py: it notes when it starts and when it has read the body, in
EVENTS and, for a server in another process, in the file named by BODY_PROBE_LOG. It answers
with what it read and the client address the portal sees (core/client_address.py)."""

import os

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from core.client_address import client_address
from lsp_portal.urls import urlpatterns as project_urlpatterns

EVENTS: list[str] = []


def _note(event: str) -> None:
    EVENTS.append(event)
    log = os.environ.get("BODY_PROBE_LOG")
    if log:
        with open(log, "a") as f:
            f.write(event + "\n")


@csrf_exempt
def probe(request):
    _note("started")
    body = request.body
    _note(f"read {len(body)}")
    return HttpResponse(f"read {len(body)} from {client_address(request)}", content_type="text/plain")


urlpatterns = [path("__probe__/", probe), *project_urlpatterns]
