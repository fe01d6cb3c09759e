"""Structured logging: one JSON object per line, and an access log that never writes a secret."""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

#: Query parameters and path forms that carry capability tokens or cookies.
_SECRET_QUERY = re.compile(r"([?&](?:t|token|key)=)[^&\s]*", re.IGNORECASE)
_STANDARD = set(vars(logging.makeLogRecord({})))


def redact(text: str) -> str:
    """Replace every token-bearing query value with ``***``."""
    return _SECRET_QUERY.sub(r"\1***", text)


class JsonFormatter(logging.Formatter):
    """Formats a record as JSON with its ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            # aiohttp's parser errors quote the request line: the traceback may carry a token too.
            out["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, default=str)


class MalformedPackets(logging.Filter):
    """Turn python-engineio's traceback for a packet it could not decode into a one-line warning with a code.

    A client that sends a broken Socket.IO packet (``42/live,[``, ``4x``) makes the library log ``message async
    handler error`` with the decoder's traceback; that is the client's fault, not the server's, and the connection
    carries on. Errors raised elsewhere keep their level and traceback (the JSON formatter writes it on one line).
    """

    _DECODERS = ("socketio/packet.py", "engineio/packet.py", "engineio/payload.py", "engineio/json.py")

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite a decoding failure in place; always keep the record."""
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and self.from_decoder(exc):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = "malformed Socket.IO packet", ()
            record.code = "invalid_packet"
            record.error = self.line(exc)
            record.exc_info = record.exc_text = None
        return True

    @classmethod
    def from_decoder(cls, exc: BaseException) -> bool:
        """True for an exception raised while decoding what a client sent (bad UTF-8 is always that)."""
        if isinstance(exc, UnicodeDecodeError):
            return True
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename.replace("\\", "/").endswith(cls._DECODERS):
                return True
            tb = tb.tb_next
        return False

    @staticmethod
    def line(exc: BaseException) -> str:
        """The exception as one short line."""
        return " ".join(f"{type(exc).__name__}: {exc}".split())[:200]


def library_logger(name: str) -> logging.Logger:
    """The logger handed to python-socketio/python-engineio (``socketio.server``, ``engineio.server``).

    Handing over a logger object stops the libraries from adding their own plain-text handler, which would
    print every traceback over several lines beside the JSON log; engine.io's gets :class:`MalformedPackets`.
    """
    logger = logging.getLogger(name)
    if name.startswith("engineio") and not any(isinstance(f, MalformedPackets) for f in logger.filters):
        logger.addFilter(MalformedPackets())
    return logger


class PlainFormatter(logging.Formatter):
    """Plain text lines, redacted like the JSON ones."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(level: str = "INFO", as_json: bool = True) -> None:
    """Send the root logger to stderr in JSON (or plain text)."""
    handler = logging.StreamHandler()
    plain = PlainFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    handler.setFormatter(JsonFormatter() if as_json else plain)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # engineio/socketio log every packet at INFO; keep them to warnings.
    logging.getLogger("engineio").setLevel(logging.WARNING)
    logging.getLogger("socketio").setLevel(logging.WARNING)


class AccessLogger(AbstractAccessLogger):
    """One structured line per request, with tokens redacted from the path."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        """Log method, redacted path, status and duration."""
        self.logger.info("request", extra={"method": request.method, "path": redact(request.path_qs),
                                           "status": response.status, "ms": round(time * 1000, 1),
                                           "remote": request.remote})
