"""One error mapper for HTTP and the security headers every response carries."""

from __future__ import annotations

import logging
from typing import Awaitable, Callable

from aiohttp import web

from ..domain.errors import DomainError
from .keys import jinja_key

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:;"
        " object-src 'none'; base-uri 'none'; form-action 'self'")


def _wants_json(request: web.Request) -> bool:
    return (request.path.startswith("/api/") or request.path.startswith("/ingest/")
            or "application/json" in request.headers.get("Accept", ""))


def error_response(request: web.Request, status: int, code: str, message: str) -> web.StreamResponse:
    """JSON for API clients, the error page for people."""
    if _wants_json(request):
        return web.json_response({"ok": False, "error": {"code": code, "message": message}}, status=status)
    html = request.app[jinja_key].get_template("error.html").render(status=status, code=code, message=message)
    return web.Response(text=html, status=status, content_type="text/html")


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map ``DomainError`` and HTTP errors to a clear answer; log anything unexpected and answer 500."""
    try:
        return await handler(request)
    except DomainError as exc:
        return error_response(request, exc.status, exc.code, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.empty_body:
            raise
        return error_response(request, exc.status, exc.reason.lower().replace(" ", "_"), exc.text or exc.reason)
    except Exception:
        log.exception("unhandled error", extra={"path": request.path})
        return error_response(request, 500, "unknown_error", "Something went wrong on the server.")


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No referrer (links carry tokens), no sniffing, and a CSP that allows only our own assets."""
    response = await handler(request)
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.content_type == "text/html":
        response.headers.setdefault("Content-Security-Policy", _CSP)
    return response
