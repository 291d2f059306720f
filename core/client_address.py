"""The address a request came from, as far as this deployment can vouch for it.

With no proxy in front (TRUSTED_PROXY_COUNT = 0, the default) that is REMOTE_ADDR, and any
X-Forwarded-For header is ignored: anyone can send one. Behind N proxies, each of which appends
the address it was called from to X-Forwarded-For (nginx's $proxy_add_x_forwarded_for does), the
outermost proxy's entry is the Nth from the right: entries further left were written by the
client and prove nothing. Sign-in throttling counts failures per address with this
(AXES_CLIENT_IP_CALLABLE in lsp_portal/settings.py; docs/adr/0014-request-limits-and-throttling.md).
"""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        # Fewer entries than proxies: the request did not come through all of them (or a proxy
        # is misconfigured); nothing in the header can be trusted, the peer's address can.
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
