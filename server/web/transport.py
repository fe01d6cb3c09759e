"""What reaches Engine.IO from clients: size limits and malformed packets.

* python-engineio refuses a polling POST larger than ``max_http_buffer_size`` without reading its body; the
  client, still sending, then waits for a reply it only gets when its own timeout fires. The middleware answers
  such a request ``413`` at once from its ``Content-Length`` and closes the connection, dropping the unread body.
* A packet Engine.IO cannot decode ends its handler with an exception; answering it as an HTTP error would
  write an HTTP response into a WebSocket stream. The middleware logs a one-line warning with the code
  ``invalid_packet`` and closes that connection instead (a WebSocket's own handler, ``engineio_socket``, does the
  same for the packets it reads).
* An Engine.IO WebSocket upgrade's handler runs as long as the connection lives, and every middleware around it
  keeps a suspended coroutine per viewer. ``websocket_lane`` sends it past every other middleware (which have
  nothing to do for it) straight to Engine.IO.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from aiohttp import hdrs, web

from .engineio_socket import serve_websocket
from .errors import Handler
from .i18n import N_, catalogues_key, request_locale, translate
from .logs import MalformedPackets
from .security import MAX_URL, long_urls

log = logging.getLogger(__name__)
#: The largest Engine.IO payload accepted, over WebSocket or long-polling (256 KiB).
MAX_PACKET_BYTES = 256 * 1024
ENGINEIO_PATH = "/socket.io/"


@web.middleware
async def engineio_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer ``413`` to an Engine.IO POST above ``MAX_PACKET_BYTES`` before anything reads it, and end a
    connection whose packet cannot be decoded with a one-line warning (see the module docstring)."""
    if request.path != ENGINEIO_PATH:
        return await handler(request)
    if request.method == "POST":
        length = request.content_length
        if length is not None and length > MAX_PACKET_BYTES:
            log.warning("polling request too large", extra={"code": "payload_too_large", "bytes": length})
            return web.json_response(
                {"ok": False, "error": {"code": "payload_too_large", "message": translate(
                    request.app[catalogues_key], request_locale(request), N_("At most {max_bytes} bytes per request."),
                    {"max_bytes": MAX_PACKET_BYTES})}},
                status=413, headers={"Connection": "close"})
    try:
        return await handler(request)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        if not MalformedPackets.from_decoder(exc):
            raise
        log.warning("malformed Engine.IO packet", extra={"code": "invalid_packet", "error": MalformedPackets.line(exc)})
        if request.transport is not None:
            request.transport.close()  # upgraded: an HTTP answer would corrupt the WebSocket stream
        return web.Response(status=400)


def is_websocket_upgrade(request: web.Request) -> bool:
    """An Engine.IO connection opening (or upgrading to) a WebSocket."""
    return (request.method == "GET" and request.path == ENGINEIO_PATH
            and request.headers.get(hdrs.UPGRADE, "").lower() == "websocket")


@web.middleware
def websocket_lane(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
    """Hand an Engine.IO WebSocket upgrade to Engine.IO, past the other middlewares.

    A plain function, so that it leaves no frame behind either. The middlewares it skips have nothing to do for
    such a request: its ``101`` answer is sent before they could add a header or compress it, it is a ``GET``
    (no origin check: python-engineio checks the handshake's ``Origin``; no size limit: ``engineio_guard`` only
    bounds POSTs), the Socket.IO handshake reads the interface language itself, and the connection's handler
    (``engineio_socket.LeanSocket``) ends a connection whose packet cannot be decoded. The address's length is
    still checked.
    """
    if not is_websocket_upgrade(request):
        return handler(request)
    if len(request.raw_path) > MAX_URL:
        return long_urls(request, handler)
    return serve_websocket(request, request.match_info.handler)
