"""The client's address behind a load balancer: ``X-Forwarded-For`` believed from the trusted proxies only.

Behind HAProxy every request comes from the balancer's address, so rate limits per address would count a whole
audience as one client. When the peer is one of ``FLOORCAST_TRUSTED_PROXIES``, ``X-Forwarded-For`` is read from its
end (each proxy appends the address it was reached from): addresses of trusted proxies are passed over (a CDN or a
second balancer in front of the first), and the first other address becomes ``request.remote`` for every handler,
Socket.IO's included. Anyone else's header is ignored, and what a client writes into the header itself lies to the
left of the first untrusted address, so a client cannot choose its own address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from ipaddress import IPv4Network, IPv6Network

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware

from ..settings import Settings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
IPNetwork = IPv4Network | IPv6Network


def forwarded_for(settings: Settings) -> Middleware:
    """A middleware that takes the client's address from the trusted proxies' ``X-Forwarded-For``."""
    networks = settings.trusted_proxy_networks()

    @web.middleware
    def middleware(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
        # A plain function handing on the handler's awaitable: it leaves no frame behind for a WebSocket's lifetime.
        if networks and request.remote and hdrs.X_FORWARDED_FOR in request.headers:
            client = _client(request.remote, request.headers.getall(hdrs.X_FORWARDED_FOR), networks)
            if client is not None:
                request = request.clone(remote=client)
        return handler(request)

    return middleware


def _client(peer: str, forwarded: list[str], networks: list[IPNetwork]) -> str | None:
    """The client's address: the last one in the chain that is not a trusted proxy (``None``: keep the peer's)."""
    trusted = lambda address: any(address in network for network in networks)  # noqa: E731
    try:
        if not trusted(ipaddress.ip_address(peer.split("%")[0])):
            return None
        hops = [ipaddress.ip_address(hop.strip()) for value in forwarded for hop in value.split(",")]
    except ValueError:
        return None  # a peer or a header that is no address: left as it came
    for hop in reversed(hops):
        if not trusted(hop):
            return str(hop)
    return str(hops[0]) if hops else None  # proxies all the way: the first one the chain names
