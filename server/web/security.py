"""The security headers every response carries."""

from __future__ import annotations

from aiohttp import web

from .errors import Handler

_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'{style}; img-src 'self' data:;"
        " connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'")


def policy(style_source: str = "") -> str:
    """The Content-Security-Policy, allowing one more style source (e.g. the hash of a page's own ``<style>``)."""
    return _CSP.format(style=f" {style_source}" if style_source else "")


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No referrer (links carry tokens), no sniffing, and a CSP that allows only our own assets."""
    response = await handler(request)
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.content_type == "text/html":
        response.headers.setdefault("Content-Security-Policy", policy())
    return response
