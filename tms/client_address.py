"""The client's IP address, as sign-in throttling (django-axes) sees it.

Without configuration it is the address of the TCP peer (REMOTE_ADDR), and forwarding headers
are ignored: anyone can send an X-Forwarded-For, so trusting it unasked would let a guesser
pose as a new client on every attempt. Behind a reverse proxy the peer is the proxy, shared by
every client, so five bad guesses at one username would lock its owner out everywhere. Then
set TRUSTED_PROXY_HEADER to the header the proxy writes (X-Forwarded-For, X-Real-IP) and
TRUSTED_PROXY_COUNT to the number of proxies in front of the app: the address is taken that
many entries from the right, i.e. the one the outermost trusted proxy added, never one the
client wrote itself.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: from the trusted proxy's header when configured and present,
    else the peer's (AXES_CLIENT_IP_CALLABLE)."""
    peer = request.META.get("REMOTE_ADDR")
    header = settings.TRUSTED_PROXY_HEADER
    if not header:
        return peer
    meta_key = "HTTP_" + header.upper().replace("-", "_")
    hops = [hop.strip() for hop in request.META.get(meta_key, "").split(",")]
    count = settings.TRUSTED_PROXY_COUNT
    if len(hops) < count:
        return peer  # fewer hops than proxies: the request did not come through them all
    candidate = hops[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:  # empty, "unknown", or not the address a proxy writes: do not guess
        return peer
