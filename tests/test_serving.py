"""What aiohttp's own HTTP parser refuses is answered with a fixed text and the security headers, over a real
socket to the runner ``run.py`` serves with: nothing of the request (a token, a cookie) in the answer or the log."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from server.settings import Settings
from server.web import serving
from server.web.app import create_app

from .conftest import DEMO, WAIT, no_collection

SECRET = "S3cretT0kenValue"
#: Requests aiohttp's parser cannot read, each carrying the secret where the parser's message would quote it.
UNREADABLE = {
    "request line over the limit": f"GET /m/{DEMO}/join?t={SECRET}&x={'a' * 70_000} HTTP/1.1\r\nHost: x\r\n\r\n",
    "header over the limit": f"GET /m/{DEMO} HTTP/1.1\r\nHost: x\r\nReferer: http://x/m/{DEMO}/admin?t={SECRET}"
                             f"&{'a' * 9_000}\r\n\r\n",
    "cookie over the limit": f"GET /m/{DEMO} HTTP/1.1\r\nHost: x\r\nCookie: fc_p_{DEMO}={SECRET}{'b' * 9_000}"
                             "\r\n\r\n",
    "malformed method": f"G@T /m/{DEMO}/join?t={SECRET} HTTP/1.1\r\nHost: x\r\n\r\n",
    "malformed version": f"GET /m/{DEMO}/join?t={SECRET} HTTP/9.x\r\nHost: x\r\n\r\n",
    "space in the target": f"GET /m/{DEMO}/join?t={SECRET} x HTTP/1.1\r\nHost: x\r\n\r\n",
    "malformed header name": f"GET /m/{DEMO}/join HTTP/1.1\r\nHost: x\r\nX Token: {SECRET}\r\n\r\n",
    "second request malformed": f"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nG@T /m/{DEMO}/join?t={SECRET} HTTP/1.1"
                                "\r\nHost: x\r\n\r\n",
}


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[int]:
    """The application served as ``run.py`` serves it (``serving.runner`` and a TCP site); yields the port."""
    runner = serving.runner(create_app(settings))
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def _exchange(port: int, raw: str) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw.encode())
        await writer.drain()
        return (await asyncio.wait_for(reader.read(), WAIT)).decode(errors="replace")
    finally:
        writer.close()


def _last_answer(exchange: str) -> tuple[str, dict[str, str], str]:
    """Status line, headers and body of the last answer on a connection."""
    last = "HTTP/1." + exchange.split("HTTP/1.")[-1]
    head, _, body = last.partition("\r\n\r\n")
    status, *lines = head.split("\r\n")
    return status, {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}, body


@pytest.mark.parametrize("raw", UNREADABLE.values(), ids=UNREADABLE.keys())
async def test_an_unreadable_request_gets_a_fixed_answer_with_the_security_headers_and_no_echo(served, raw,
                                                                                                 caplog):
    caplog.set_level(logging.DEBUG)
    exchange = await _exchange(served, raw)
    status, headers, body = _last_answer(exchange)
    assert status.split(" ", 2)[1:] == ["400", "Bad Request"], exchange[:300]
    assert body == "400 Bad Request\n"
    assert SECRET not in exchange
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    # Not even in the unredacted records: the message, its arguments and any traceback.
    assert caplog.records and SECRET not in caplog.text
    assert any(r.getMessage() == "unreadable request refused" and r.levelno == logging.INFO for r in caplog.records)
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{served}/healthz",
                                                         timeout=aiohttp.ClientTimeout(total=WAIT)) as r:
        assert r.status == 200


async def test_a_url_under_the_parser_limit_is_the_applications_414(served):
    status, headers, body = _last_answer(await _exchange(
        served, f"GET /m/{DEMO}/join?t={SECRET}&x={'a' * 9_000} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
    assert status.split(" ")[1] == "414" and SECRET not in body
    assert headers["x-content-type-options"] == "nosniff" and "content-security-policy" in headers


def test_the_aiohttp_internals_the_runner_relies_on_are_there():
    serving.check_aiohttp()  # raises, naming what changed, when an aiohttp upgrade removed them


def _connections(port: int) -> int:
    """The server's TCP transports on ``port`` still in memory, open or closed."""
    return sum(1 for item in gc.get_objects() if isinstance(item, asyncio.Transport)
               and (item.get_extra_info("sockname") or ("", 0))[1] == port)


async def test_a_closed_http_connection_is_freed_without_a_garbage_collection(served):
    """A client's keep-alive connection that ends (a captioner's tool restarting, a page closed) is freed as it
    goes, not left in a reference cycle for the server's rare full collections (``run.py``)."""
    gc.collect()
    with no_collection():
        reader, writer = await asyncio.open_connection("127.0.0.1", served)
        for _ in range(3):  # requests on one connection, as a captioner's tool posts
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        assert _connections(served) == 1
        writer.close()
        await asyncio.wait_for(writer.wait_closed(), WAIT)

        async def _freed() -> None:
            while _connections(served):
                await asyncio.sleep(0.01)
        try:
            await asyncio.wait_for(_freed(), WAIT)
        except TimeoutError:
            pytest.fail("the closed connection's transport is still in memory")
