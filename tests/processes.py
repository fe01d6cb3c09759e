"""Real processes for the multi-node tests: ``run.py serve`` nodes, the supervisor, HAProxy; their logs, read live."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = "redis://127.0.0.1:6379/0"


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_channel() -> str:
    """A Redis channel (and rate-limit key prefix) no other test run shares."""
    return f"floorcast-test-{uuid.uuid4().hex[:12]}"


class Process:
    """A started process whose standard error is read line by line as it comes (a full pipe would stall it)."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process) -> None:
        self.name = name
        self.proc = proc
        self.lines: list[str] = []
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, name: str, argv: Sequence[str], env: dict[str, str] | None = None) -> Process:
        """Start ``argv`` in its own process group (so that stopping it reaches whatever it started)."""
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=ROOT, env={**os.environ, **(env or {})}, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, start_new_session=True)
        return cls(name, proc)

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            async with self._changed:
                self.lines.append(line.decode(errors="replace").rstrip("\n"))
                self._changed.notify_all()
        async with self._changed:
            self._changed.notify_all()

    async def wait_line(self, predicate: Callable[[str], bool], timeout: float, after: int = 0) -> str:
        """The first line (from index ``after``) matching ``predicate``; fails when the process ends first."""
        async def _wait() -> str:
            async with self._changed:
                while True:
                    for line in self.lines[after:]:
                        if predicate(line):
                            return line
                    if self._reader.done():
                        raise AssertionError(f"{self.name} exited without that line:\n" + "\n".join(self.lines[-30:]))
                    await self._changed.wait()
        return await asyncio.wait_for(_wait(), timeout)

    def records(self, logger: str) -> list[dict[str, Any]]:
        """The JSON log records of one logger written so far."""
        out = []
        for line in self.lines:
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    record = json.loads(line)
                    if record.get("logger") == logger:
                        out.append(record)
        return out

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()

    async def exited(self, timeout: float) -> int:
        """Wait for the process to end by itself (and its log to be read); its exit status."""
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        await asyncio.wait_for(self._reader, 5)
        return code

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send ``sig`` and wait for the exit; SIGKILL the whole group when it does not come in time."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                await self.proc.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._reader, 5)
        return self.proc.returncode if self.proc.returncode is not None else -1


async def until(check: Callable[[], Any], timeout: float, what: str | Callable[[], str]) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy; another process's state has no event."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if asyncio.iscoroutine(found):
            found = await found
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what() if callable(what) else what}")
        await asyncio.sleep(0.05)  # polling another process, bounded by the deadline


async def status(url: str, timeout: float = 2) -> int | None:
    """The HTTP status ``url`` answers now, or None when nothing answers."""
    try:
        async with (aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http,
                    http.get(url) as r):
            return r.status
    except (aiohttp.ClientError, TimeoutError):
        return None


def alive(pid: int) -> bool:
    """Whether a process with this id exists (and is not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def python_run(*args: str) -> list[str]:
    """The command line of ``python run.py ARGS``."""
    return [sys.executable, "run.py", *args]
