"""Pages and JSON sent compressed to clients that accept it (the static files are compressed ahead of time).

A page reached with a role link (``?t=``) is never compressed: it carries the token, and a page that also echoes
what someone else typed would let an observer of the compressed sizes guess the token byte by byte (BREACH).
"""

from __future__ import annotations

from aiohttp import hdrs, web
from aiohttp.web_response import ContentCoding

from .errors import Handler

#: Smaller answers gain nothing from compression.
MIN_BYTES = 512
_TYPES = frozenset({"text/html", "application/json", "text/plain", "text/vtt", "application/xml"})


@web.middleware
async def compress_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Compress a whole (not streamed) text answer with gzip when the client accepts it."""
    response = await handler(request)
    if (type(response) is web.Response and "t" not in request.query and response.content_type in _TYPES
            and hdrs.CONTENT_ENCODING not in response.headers
            and isinstance(response.body, bytes) and len(response.body) >= MIN_BYTES):
        vary = [v for v in response.headers.getall(hdrs.VARY, []) if v]
        response.headers[hdrs.VARY] = ", ".join([*vary, "Accept-Encoding"])
        if "gzip" in request.headers.get(hdrs.ACCEPT_ENCODING, "").lower():
            response.enable_compression(ContentCoding.gzip)
    return response
