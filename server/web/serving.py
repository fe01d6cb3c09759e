"""How the service listens: aiohttp's application runner, with the answers aiohttp writes itself made safe.

A request that aiohttp's HTTP parser cannot read (a request line longer than ``security.MAX_LINE``, a header over
the limit, a malformed request line or header) never reaches the application or its middlewares: the connection's
``RequestHandler.handle_error`` answers it. aiohttp's own answer quotes the parser's message, which holds the start
of the offending line (a capability token ``?t=…``, a cookie), carries none of the security headers, and the same
message goes to the log with a traceback. So do the answers to a handler that crashed or timed out outside the
error mapper (500, 504).

aiohttp has no setting for this answer (aio-libs/aiohttp#3287), so :class:`QuietRequestHandler` overrides that one
method of the connection handler. aiohttp builds one handler per connection in ``web.Server.__call__``, with the
handler arguments it was given; :class:`Runner` makes its server build ours instead. The server's arguments
(``_loop``, ``_kwargs``) and the runner's ``_make_server`` are aiohttp internals, written for aiohttp 3.14:
:func:`check_aiohttp` fails loudly at start-up when they are not there, and tests/test_serving.py sends the
malformed requests over a real socket to the runner ``run.py`` uses.
"""

from __future__ import annotations

import inspect
import logging
from http import HTTPStatus
from typing import Any

from aiohttp import __version__ as aiohttp_version
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from . import security
from .engineio_adapter import release_transport
from .logs import AccessLogger

log = logging.getLogger(__name__)


class QuietRequestHandler(web.RequestHandler):
    """aiohttp's connection handler, answering what the application never saw with a fixed text.

    The answer is ``<status> <reason>`` and the security headers (no page may frame it); nothing of the request
    is in it, nor in the log, which gets one line naming the kind of error.
    """

    __slots__ = ()

    def connection_lost(self, exc: BaseException | None) -> None:
        """As aiohttp; then the transport lets go of itself, so the connection is freed now (no collection)."""
        transport = self.transport
        super().connection_lost(exc)
        if transport is not None:
            release_transport(transport)

    def handle_error(self, request: web.BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        """The answer to a request the parser refused (400) or whose handler failed outside the app (500, 504)."""
        del message  # the parser's message quotes the request
        if isinstance(exc, HttpProcessingError) or status < 500:
            # The client's fault, and common on a public port: no traceback (it would quote the request).
            log.info("unreadable request refused", extra={"status": status, "error": type(exc).__name__,
                                                          "remote": request.remote})
        else:
            # A failure of ours: the traceback is needed, and the JSON log formatter redacts tokens in it.
            log.error("request failed outside the application", exc_info=exc,
                      extra={"status": status, "remote": request.remote})
        if request.writer.output_size > 0:  # as aiohttp: part of an answer is out, the connection is broken
            raise ConnectionError("Response is sent already, cannot send another response with the error message")
        response = web.Response(status=status, text=f"{status} {_phrase(status)}\n", content_type="text/plain")
        security.protect(response)
        response.force_close()
        return response


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class _Server(web.Server):
    """aiohttp's low-level server, handing each connection to a :class:`QuietRequestHandler`."""

    def __call__(self) -> web.RequestHandler:
        """A handler for one new connection, built with the application's handler arguments."""
        return QuietRequestHandler(self, loop=self._loop, **self._kwargs)


class Runner(web.AppRunner):
    """The runner ``run.py`` serves the application with (and the tests of what the parser refuses)."""

    __slots__ = ()

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        if type(server) is not web.Server or not isinstance(vars(server).get("_kwargs"), dict) \
                or "_loop" not in vars(server):
            raise RuntimeError(f"aiohttp {aiohttp_version} changed under server/web/serving.py: its runner made "
                               f"{type(server).__name__} {sorted(vars(server))}")
        # aiohttp built its server with every handler argument; only the class that makes handlers changes.
        server.__class__ = _Server
        return server


def check_aiohttp() -> None:
    """Fail loudly when the aiohttp internals used here are gone: its error answers would echo requests again."""
    parameters = list(inspect.signature(web.RequestHandler.handle_error).parameters)
    if "_make_server" not in vars(web.AppRunner) or parameters != ["self", "request", "status", "exc", "message"]:
        raise RuntimeError(f"aiohttp {aiohttp_version} changed under server/web/serving.py: "
                           f"handle_error{tuple(parameters)}, AppRunner {sorted(vars(web.AppRunner))}")


def runner(app: web.Application, shutdown_timeout: float = 60.0, **kwargs: Any) -> Runner:
    """The runner for ``app``: access log lines without tokens, aiohttp's own error answers made safe (``kwargs``:
    more of aiohttp's handler arguments, as its test server gives)."""
    check_aiohttp()
    return Runner(app, access_log_class=AccessLogger, shutdown_timeout=shutdown_timeout, handle_signals=False,
                  **kwargs)
