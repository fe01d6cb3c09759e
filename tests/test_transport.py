"""Engine.IO input that hurts: malformed packets leave one JSON line each (a warning with a code, never a
multi-line traceback), the connection ends cleanly, and a polling POST over 256 KiB is answered 413 at once.

The server runs as ``python run.py`` so that its real JSON log is read.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from typing import Any

import aiohttp
import pytest

from .conftest import DEMO, WAIT
from .test_run import start_server

BROKEN_PACKETS = ["42/live,[", "4x", '42/live,["caption",', "40/live,{bad", "\x00\x01"]


async def _open(http: aiohttp.ClientSession, base: str) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(f"{base}/socket.io/?EIO=4&transport=websocket")
    assert (await ws.receive_str(timeout=WAIT)).startswith("0{")
    await ws.send_str("40/live," + json.dumps({"meeting": DEMO}))
    assert (await ws.receive_str(timeout=WAIT)).startswith("40/live,")
    return ws


async def test_malformed_packets_log_one_line_warnings_and_big_polls_get_413(tmp_path):
    proc, base, log = await start_server(tmp_path / "d")
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http:
            for packet in BROKEN_PACKETS:
                ws = await _open(http, base)
                await ws.send_str(packet)
                await ws.send_str('42/live,7["no_such_event"]')  # answered while the connection lives
                reply = await ws.receive(timeout=WAIT)
                # Either the connection carries on (the ACK) or it ends with a close frame, never with garbage.
                assert reply.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.CLOSE,
                                      aiohttp.WSMsgType.CLOSED), (packet, reply)
                assert reply.type != aiohttp.WSMsgType.TEXT or reply.data.startswith("43/live,7["), (packet, reply)
                await ws.close()
            async with http.get(f"{base}/socket.io/?EIO=4&transport=polling") as r:
                sid = json.loads((await r.text())[1:])["sid"]
            url = f"{base}/socket.io/?EIO=4&transport=polling&sid={sid}"
            async with http.post(url, data=b"40/live," + json.dumps({"meeting": DEMO}).encode()) as r:
                assert r.status == 200
            async with http.post(url, data=b"b\xff\xfe") as r:  # not UTF-8
                assert r.status in (200, 400)
            started = time.monotonic()
            async with http.post(url, data=b"4" + b"x" * (300 * 1024)) as r:
                assert r.status == 413 and (await r.json())["error"]["code"] == "payload_too_large"
            assert time.monotonic() - started < 2
            async with http.get(f"{base}/healthz") as r:
                assert r.status == 200
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=20) == 0
        await asyncio.wait_for(log.drained, timeout=WAIT)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    records = [json.loads(line) for line in log.lines if line.strip()]  # every line is one JSON object
    assert not [r for r in records if r["level"] == "error"], [r for r in records if r["level"] == "error"]
    codes = [r.get("code") for r in records if r["level"] == "warning"]
    assert codes.count("invalid_packet") >= len(BROKEN_PACKETS) and "payload_too_large" in codes


def _awaiting(coro: Any) -> list[str]:
    """The names of the coroutines a task's coroutine is suspended in, outermost first."""
    names = []
    while coro is not None and hasattr(coro, "cr_code"):
        names.append(coro.cr_code.co_name)
        coro = coro.cr_await
    return names


async def test_a_websocket_connection_is_held_by_its_reader_alone(server, connect):
    await connect("/live", session="morning")
    chains = [_awaiting(t.get_coro()) for t in asyncio.all_tasks()]
    held = [c for c in chains if "read_websocket" in c]
    assert held, chains
    # No middleware and none of python-engineio's request handling keeps a frame per viewer around the reader.
    for chain in held:
        assert not {"engineio_guard", "security_headers", "compress_pages", "locale_middleware", "errors",
                    "zone_middleware", "long_urls", "handle_request", "_handle_connect", "handle_get_request",
                    "_upgrade_websocket", "_websocket_handler"} & set(chain), chain


async def test_a_websocket_upgrade_with_a_long_address_is_refused_414(server, http):
    url = server.url("/socket.io/?EIO=4&transport=websocket&pad=" + "x" * 9000)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_receive=WAIT))
    assert refused.value.status == 414
