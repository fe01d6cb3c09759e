"""What reaches Engine.IO from clients: size limits and malformed packets.

* python-engineio refuses a polling POST larger than ``max_http_buffer_size`` without reading its body; the
  client, still sending, then waits for a reply it only gets when its own timeout fires. The middleware answers
  such a request ``413`` at once from its ``Content-Length`` and closes the connection, dropping the unread body.
* A WebSocket frame Engine.IO cannot decode (``\x00``) ends its reader with an exception after the connection was
  upgraded; answering it as an HTTP error would write an HTTP response into the WebSocket stream. The middleware
  logs a one-line warning with the code ``invalid_packet`` and closes that connection instead.
"""

from __future__ import annotations

import logging

from aiohttp import web

from .errors import Handler
from .i18n import N_, catalogues_key, request_locale, translate
from .logs import MalformedPackets

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
