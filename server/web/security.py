"""What every response carries and what every request must show: security headers, framing, the origin of
state-changing requests and of Socket.IO handshakes, and a bound on URL length.

* Every response (our pages, JSON, static files, and aiohttp's own 404/405) gets ``Referrer-Policy: no-referrer``
  (links carry tokens), ``X-Content-Type-Options: nosniff`` and a CSP allowing only our own assets. No page may be
  framed (``frame-ancestors 'none'`` + ``X-Frame-Options: DENY``) except the OBS caption overlay and the room
  screen, which the origins of the ``frame_origins`` setting may frame.
* A state-changing request (any method but GET, HEAD, OPTIONS) from a browser must come from one of our origins:
  ``Sec-Fetch-Site: same-origin``, or an ``Origin`` in :func:`accepted_origins`. This stops a cross-site page
  from posting a form with the victim's cookie (login CSRF on the join form, an admin's revoke form). A request
  with neither header does not come from a browser's page (a script, a captioning tool) and carries no ambient
  authority a third site could borrow, so it passes. Caption ingest (``…/ingest/…``) is exempt by design:
  captioning tools post there from anywhere, their only credential is the token in the URL (the capability
  itself), and the endpoint reads no cookie.
* Socket.IO handshakes (WebSocket and polling) are checked against the same origins by python-engineio,
  through :func:`socketio_origin_check`.
* A request line longer than aiohttp's default (8,190 bytes) is refused with 414 here, where the response and
  the access log redact tokens; aiohttp's parser only refuses longer lines than ``MAX_LINE`` (and over-long
  headers, malformed requests), and ``serving.py`` makes its answer a fixed text with these headers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from ..settings import Settings
from .errors import Handler, error_response
from .i18n import N_
from .keys import settings_key

_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'{style}; img-src 'self' data:;"
        " connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'")
#: Routes that may be framed (by the ``frame_origins`` setting's origins only).
FRAMABLE_ROUTES = frozenset({"caption_overlay", "screen"})
#: Methods that never change state.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The longest request target served (aiohttp's default line limit, which would echo the URL in its 400).
MAX_URL = 8190
#: The parser's limit, raised so that a long URL reaches :func:`long_urls` and gets a redacted 414.
MAX_LINE = 64 * 1024
#: What a refused cross-site request is told.
CROSS_SITE_MESSAGE = N_("This form was sent from another site. Open the page on this site and send it again.")


def _headers(request: web.BaseRequest, response: web.StreamResponse, settings: Settings) -> None:
    route = request.match_info.route.name if isinstance(request, web.Request) and request.match_info else None
    if route in FRAMABLE_ROUTES:
        _set(response, " ".join(settings.framing_origins()) or "'none'", deny=False)
    else:
        _set(response, "'none'", deny=True)


def protect(response: web.StreamResponse) -> None:
    """The security headers of an answer no page may frame, for answers made outside the application (aiohttp's
    own, to requests its parser refused: see ``serving.py``)."""
    _set(response, "'none'", deny=True)


def _set(response: web.StreamResponse, ancestors: str, deny: bool) -> None:
    headers = response.headers
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if deny:
        headers.setdefault("X-Frame-Options", "DENY")
    # A response may allow more (an HTML transcript allows its own <style> element): then it sets the policy, with
    # :func:`policy`, and the framing rule is added to it.
    csp = headers.get("Content-Security-Policy", policy())
    if "frame-ancestors" not in csp:
        headers["Content-Security-Policy"] = f"{csp}; frame-ancestors {ancestors}"


def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """The security headers, for a handler to add to a streamed response before it sends the headers (the
    middleware adds them after the handler, when a stream's headers are already sent)."""
    _headers(request, response, request.app[settings_key])


def policy(style_source: str = "") -> str:
    """The Content-Security-Policy, allowing one more style source (e.g. the hash of a page's own ``<style>``)."""
    return _CSP.format(style=f" {style_source}" if style_source else "")


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Add the security headers to every answer, the error responses aiohttp raises included."""
    settings = request.app[settings_key]
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # redirects and errors the error mapper passes on are responses too
        _headers(request, exc, settings)
        raise
    _headers(request, response, settings)
    return response


def own_origin(request: web.BaseRequest) -> str:
    """The origin the request was sent to (scheme and Host header)."""
    return f"{request.scheme}://{request.host}".lower()


def accepted_origins(settings: Settings, request_origin: str) -> list[str]:
    """The origins allowed to post and to connect: the configured ones, else the request's own."""
    return settings.public_origins() or [request_origin]


def _exempt(request: web.Request) -> bool:
    # Caption ingest: see the module docstring. Engine.IO's polling POSTs are checked by python-engineio.
    return "/ingest/" in request.path or request.path.startswith("/socket.io/")


@web.middleware
async def same_origin_writes(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a browser's state-changing request sent by a page of another origin (403 ``cross_site``)."""
    if request.method in SAFE_METHODS or _exempt(request):
        return await handler(request)
    fetch_site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if fetch_site == "same-origin" or (fetch_site is None and origin is None):
        return await handler(request)
    allowed = accepted_origins(request.app[settings_key], own_origin(request))
    if origin is not None and origin.lower() in allowed:
        return await handler(request)
    return error_response(request, 403, "cross_site", CROSS_SITE_MESSAGE)


@web.middleware
async def long_urls(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a request target longer than ``MAX_URL`` bytes without echoing it (414)."""
    if len(request.raw_path) > MAX_URL:
        return error_response(request, 414, "url_too_long", N_("The address is longer than {max_bytes} bytes."),
                              params={"max_bytes": MAX_URL})
    return await handler(request)


def socketio_origin_check(settings: Settings) -> Callable[[str | None, dict[str, Any]], bool]:
    """python-engineio's ``cors_allowed_origins`` callable: is this handshake's ``Origin`` one of ours?

    python-engineio calls it only when the request has an ``Origin`` header, on every transport.
    """
    def allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        if not origin:  # also asked while building CORS headers for a request without Origin
            return False
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}".lower()
        forwarded_host = environ.get("HTTP_X_FORWARDED_HOST", "").split(",")[0].strip()
        forwarded_proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip()
        candidates = accepted_origins(settings, own)
        if not settings.public_origins() and (forwarded_host or forwarded_proto):
            # Behind a proxy without a configured base URL: the proxy's public host, as python-engineio does.
            scheme = forwarded_proto or environ.get("wsgi.url_scheme", "http")
            candidates.append(f"{scheme}://{forwarded_host or environ.get('HTTP_HOST', '')}".lower())
        return origin.lower() in candidates
    return allowed
