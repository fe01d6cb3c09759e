"""Transcript downloads and packs made in a child process and streamed to the client.

Rendering a long session or a meeting takes seconds of CPU, which in the server process would hold up every caption
to every viewer. So the export dicts are written, one session at a time, as JSON Lines to the standard input of
``python -m transcripts`` (the library's own command line, at a lower CPU priority), and its standard output is
copied to the HTTP response as it comes. Neither side holds the meeting or the finished file. A refusal of the
child before its first byte (a summary template that does not compile) is answered with an error status; a
failure after the download started ends the response early, so the client sees an incomplete download.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from aiohttp import web

from ...domain.errors import DomainError
from ..security import add_headers

log = logging.getLogger(__name__)
#: Bytes read from the child and written to the client at a time.
CHUNK = 256 * 1024
#: The child's niceness increment: live captions go first.
NICE = 10


class SummaryTemplateError(DomainError):
    """The configured summary template cannot be used."""

    code = "summary_template_error"


class ExportFailed(Exception):
    """The export process failed (a bug, not a refusal): answered as an unknown error."""


async def stream(request: web.Request, docs: AsyncIterator[Mapping[str, Any]], args: list[str],
                 headers: Mapping[str, str], content_type: str, charset: str | None = None) -> web.StreamResponse:
    """Run ``python -m transcripts - --json-lines ARGS`` on ``docs`` and stream its output as the response."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "transcripts", "-", "--json-lines", "--nice", str(NICE), *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    feeding = asyncio.create_task(_feed(proc.stdin, docs))
    errors = asyncio.create_task(proc.stderr.read())
    try:
        first = await proc.stdout.read(CHUNK)
        if not first:
            await _finish(proc, feeding, errors)  # raises the child's refusal
        response = web.StreamResponse(headers=headers)
        response.content_type = content_type
        response.charset = charset
        add_headers(request, response)
        await response.prepare(request)
        chunk = first
        while chunk:
            await response.write(chunk)
            chunk = await proc.stdout.read(CHUNK)
        await _finish(proc, feeding, errors)
        await response.write_eof()
        return response
    finally:
        if proc.returncode is None:
            proc.kill()  # the client went away, or the feed failed: nobody wants the rest
            await proc.wait()
        for task in (feeding, errors):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _feed(stdin: asyncio.StreamWriter, docs: AsyncIterator[Mapping[str, Any]]) -> None:
    try:
        async for doc in docs:
            stdin.write(orjson.dumps(doc) + b"\n")
            await stdin.drain()  # the child reads as it renders: one session at a time in the pipe
    except (BrokenPipeError, ConnectionResetError):
        return  # the child stopped reading; its exit status says why
    finally:
        stdin.close()


async def _finish(proc: asyncio.subprocess.Process, feeding: asyncio.Task[None], errors: asyncio.Task[bytes]) -> None:
    """Wait for the feed and the child; raise what went wrong."""
    await feeding  # a refusal while reading the records (e.g. an unknown version) is the caller's error
    status = await proc.wait()
    if status == 0:
        return
    message = (await errors).decode("utf-8", "replace").strip().removeprefix("transcripts: error: ")
    if message.startswith("summary template"):
        raise SummaryTemplateError("The summary template cannot be used: {detail}", params={"detail": message})
    log.error("export process failed (%s): %s", status, message)
    raise ExportFailed(message or f"the export process ended with status {status}")
