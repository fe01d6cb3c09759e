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
