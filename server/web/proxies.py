"""The client's address behind a load balancer: ``X-Forwarded-For`` believed from the trusted proxies only.

Behind HAProxy every request comes from the balancer's address, so rate limits per address would count a whole
audience as one client. When the peer is one of ``FLOORCAST_TRUSTED_PROXIES``, the last address of its
``X-Forwarded-For`` (the one that proxy appended: the address it was reached from) becomes ``request.remote`` for
every handler, Socket.IO's included. Anyone else's header is ignored, so a client cannot choose its own address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware

from ..settings import Settings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def forwarded_for(settings: Settings) -> Middleware:
    """A middleware that takes the client's address from the trusted proxies' ``X-Forwarded-For``."""
    networks = settings.trusted_proxy_networks()

    @web.middleware
    def middleware(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
        # A plain function handing on the handler's awaitable: it leaves no frame behind for a WebSocket's lifetime.
        if networks and request.remote and hdrs.X_FORWARDED_FOR in request.headers:
            try:
                peer = ipaddress.ip_address(request.remote.split("%")[0])
                client = ipaddress.ip_address(request.headers.getall(hdrs.X_FORWARDED_FOR)[-1].split(",")[-1].strip())
            except ValueError:
                return handler(request)  # a peer or header that is no address: left as it came
            if any(peer in network for network in networks):
                request = request.clone(remote=str(client))
        return handler(request)

    return middleware
