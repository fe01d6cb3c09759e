"""Kill the server in the middle of a captioner's burst: every acknowledged caption survives, in order, on time."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = "ec-baku-2012"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start(data: Path, port: int) -> subprocess.Popen:
    """Run ``run.py`` as a real process and wait (bounded) until it answers."""
    proc = subprocess.Popen([sys.executable, "run.py", "--data", str(data), "--port", str(port), "--plain-logs",
                             "--log-level", "WARNING"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                    if r.status == 200:
                        return proc
            except aiohttp.ClientError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "server exited"
            await asyncio.sleep(0.05)  # polling for readiness of a separate process, bounded by the deadline
    proc.kill()
    raise AssertionError("server did not start")


def tokens(data: Path) -> dict[tuple[str, str | None], str]:
    out = subprocess.run([sys.executable, "run.py", "links", "--data", str(data), "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=30, check=True)
    rows = json.loads(out.stdout)[0]["links"]
    return {(r["role"], r["session_id"]): r["url"].split("t=")[1] for r in rows}


@pytest.mark.timeout(90)
async def test_acknowledged_captions_survive_sigkill(tmp_path):
    data, port = tmp_path / "data", free_port()
    proc = await start(data, port)
    base = f"http://127.0.0.1:{port}"
    try:
        links = tokens(data)
        captioner, moderator = links[("captioner", "morning")], links[("moderator", "morning")]
        acked: list[tuple[int, str, int, int]] = []
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with http.post(f"{base}/api/meetings/{DEMO}/sessions/morning/start?t={moderator}") as r:
                assert r.status == 200

            async def burst() -> None:
                for seq in range(1, 10_000):
                    text = f"Caption {seq}: Señora Présidente — 発言"
                    before = time.time_ns() // 1_000_000
                    async with http.post(f"{base}/m/{DEMO}/s/morning/ingest/zoom?t={captioner}&seq={seq}&lang=en-US",
                                         data=f"{text}\n".encode(), headers={"Content-Type": "text/plain"}) as r:
                        assert r.status == 200
                    acked.append((seq, text, before, time.time_ns() // 1_000_000))

            task = asyncio.create_task(burst())
            while len(acked) < 40 and not task.done():
                await asyncio.sleep(0.005)  # watching the burst's progress, not synchronising with the server
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            with pytest.raises((aiohttp.ClientError, asyncio.TimeoutError, AssertionError)):
                await task
        assert len(acked) >= 40

        proc = await start(data, port)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with http.get(f"{base}/api/meetings/{DEMO}/sessions/morning/captions?lang=en&limit=5000") as r:
                stored = (await r.json())["segments"]
            async with http.get(f"{base}/m/{DEMO}/s/morning/ingest/zoom/seq?t={captioner}") as r:
                last_seq = int(await r.text())
            async with http.get(f"{base}/m/{DEMO}/s/morning/captions.txt?lang=en") as r:
                transcript = await r.text()
            # The tool retries its last post after the restart: not doubled. The next one continues the stream.
            last = acked[-1]
            async with http.post(f"{base}/m/{DEMO}/s/morning/ingest/zoom?t={captioner}&seq={last[0]}",
                                 data=f"{last[1]}\n".encode()) as r:
                assert r.status == 200
            async with http.post(f"{base}/m/{DEMO}/s/morning/ingest/zoom?t={captioner}&seq={last_seq + 1}",
                                 data=b"After the restart\n") as r:
                assert r.status == 200
            async with http.get(f"{base}/api/meetings/{DEMO}/sessions/morning/captions?lang=en&limit=5000") as r:
                after = (await r.json())["segments"]
    finally:
        proc.kill()
        proc.wait(timeout=10)

    texts = [s["text"] for s in stored]
    # Every acknowledged caption is stored, in order; at most the one in flight at the kill is there unacknowledged.
    assert texts[:len(acked)] == [text for _, text, _, _ in acked]
    assert len(stored) - len(acked) in (0, 1) and last_seq == len(stored)
    assert [s["seq"] for s in stored] == list(range(1, len(stored) + 1))
    for (_, _, before, ack), segment in zip(acked, stored, strict=False):  # stored may hold one more
        assert before <= segment["first_ms"] <= segment["final_ms"] <= ack  # the original server timestamps
    position = 0
    for _, text, _, _ in acked:
        position = transcript.index(text, position)  # the downloadable transcript holds them in order
    assert [s["text"] for s in after] == [*texts, "After the restart"]
