"""The one error mapper: a ``DomainError`` becomes an HTTP status with JSON, plain text or the error page, or a
Socket.IO ACK ``{"ok": False, "error": {"code", "message"}}``. The core's errors carry a code, never a status.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ..domain.errors import (
    DomainError,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotFound,
    NotLive,
    RateLimited,
    Unavailable,
)
from .i18n import (
    DEFAULT_LOCALE,
    N_,
    Catalogues,
    catalogues_key,
    choose_locale,
    refusal,
    render_html,
    request_locale,
    translate,
)

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: Statuses by error code, for codes whose class alone does not say it.
_BY_CODE = {"forbidden": 403, "conflict": 409, "seq_required": 403, "summary_template_error": 500}
#: Statuses by error class (the first match in the class's MRO wins).
_BY_CLASS: dict[type[DomainError], int] = {InvalidInput: 400, NotFound: 404, NotAllowed: 403,
                                           InvalidTransition: 409, NotLive: 400, RateLimited: 429,
                                           Unavailable: 503}
UNKNOWN = {"code": "unknown_error", "message": N_("Something went wrong on the server.")}


class Forbidden(DomainError):
    """This link is not valid."""

    code = "forbidden"


def status_for(exc: DomainError) -> int:
    """The HTTP status of a refusal."""
    if exc.code in _BY_CODE:
        return _BY_CODE[exc.code]
    for cls in type(exc).__mro__:
        if cls in _BY_CLASS:
            return _BY_CLASS[cls]
    return 400


def ack_error(exc: DomainError, catalogues: Catalogues | None = None, locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
    """The Socket.IO ACK of a refusal, its message in the connection's interface language."""
    error = exc.as_dict()
    if catalogues is not None:
        error["message"] = refusal(catalogues, locale, exc)
    return {"ok": False, "error": error}


def unknown_error(catalogues: Catalogues | None = None, locale: str = DEFAULT_LOCALE) -> dict[str, str]:
    """The ``unknown_error`` refusal, its message in the connection's interface language."""
    message = UNKNOWN["message"]
    return {"code": UNKNOWN["code"], "message": translate(catalogues, locale, message) if catalogues else message}


def text_refusal(request: web.Request, exc: DomainError) -> web.Response:
    """A refusal as plain text ``code: message`` for captioning tools, which read bodies as text: the stable code
    first, the message in the tool's Accept-Language (English when it sends none; no cookie, no menu)."""
    locale = choose_locale(None, request.headers.get("Accept-Language"))
    message = refusal(request.app[catalogues_key], locale, exc)
    return _text(status_for(exc), exc.code, message, locale)


def _text(status: int, code: str, message: str, locale: str, headers: dict[str, str] | None = None) -> web.Response:
    response = web.Response(status=status, text=f"{code}: {message}\n", content_type="text/plain", charset="utf-8",
                            headers=headers)
    response.headers["Content-Language"] = locale
    response.headers.add("Vary", "Accept-Language")
    return response


def _wants_json(request: web.Request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def _wants_text(request: web.Request) -> bool:
    return "/ingest/" in request.path  # captioning tools read bodies as text


def error_response(request: web.Request, status: int, code: str, message: str, retry_after: int | None = None,
                   params: dict[str, object] | None = None) -> web.StreamResponse:
    """JSON for API clients, plain text for captioning tools, the error page for people (messages in the reader's
    interface language; ``message`` is an English template that ``params`` fill)."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    catalogues = request.app[catalogues_key]
    if _wants_text(request):  # a tool: its Accept-Language, never a browser's cookie
        locale = choose_locale(None, request.headers.get("Accept-Language"))
        return _text(status, code, translate(catalogues, locale, message, params), locale, headers)
    message = translate(catalogues, request_locale(request), message, params)
    if _wants_json(request):
        error: dict[str, Any] = {"code": code, "message": message}
        if retry_after is not None:
            error["retry_after"] = retry_after
        return web.json_response({"ok": False, "error": error}, status=status, headers=headers)
    # The language menu leads home: an error page says nothing of the address that was refused.
    html = render_html(request, "error.html", status=status, code=code, message=message, here="/")
    return web.Response(text=html, status=status, content_type="text/html", headers=headers)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map ``DomainError`` and HTTP errors to a clear answer; log anything unexpected and answer 500."""
    try:
        return await handler(request)
    except DomainError as exc:
        retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
        return error_response(request, status_for(exc), exc.code, exc.template, retry_after, exc.params)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.empty_body:
            raise
        response = error_response(request, exc.status, exc.reason.lower().replace(" ", "_"), exc.text or exc.reason)
        if "Allow" in exc.headers:  # a 405 says which methods the URL takes
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception:
        log.exception("unhandled error", extra={"path": request.path})
        return error_response(request, 500, UNKNOWN["code"], UNKNOWN["message"])
