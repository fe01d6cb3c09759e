"""The command line: help, loading meeting files, printing links, serving, and stopping on SIGTERM."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from server.loading import demo_meeting_text
from server.settings import Settings

from .conftest import DEMO, WAIT

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, data: Path, database: str = "") -> subprocess.CompletedProcess[str]:
    store = ["--database", database] if database else []
    return subprocess.run([sys.executable, "run.py", "--data", str(data), *store, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "FLOORCAST_LOG_LEVEL": "WARNING"})


def test_help_explains_every_command_and_setting():
    out = subprocess.run([sys.executable, "run.py", "--help"], cwd=ROOT, capture_output=True, text=True,
                         timeout=30).stdout
    for command in ("serve", "load", "links"):
        assert command in out
    for _name, env, _default, help_text in Settings.describe():
        assert env in out and help_text in out
    for command in ("load", "links", "serve"):
        sub = subprocess.run([sys.executable, "run.py", command, "--help"], cwd=ROOT, capture_output=True, text=True,
                             timeout=30)
        assert sub.returncode == 0 and "--data" in sub.stdout


@pytest.mark.sqlite
def test_load_twice_changes_nothing(tmp_path):
    meeting = tmp_path / "meeting.toml"
    meeting.write_text(demo_meeting_text())
    first = run("load", str(meeting), data=tmp_path / "d")
    assert first.returncode == 0 and "created or updated; 14 new link(s)" in first.stdout
    db = sqlite3.connect(tmp_path / "d" / "floorcast.db")
    before = db.execute("SELECT updated_ms FROM meetings").fetchall(), db.execute("SELECT * FROM tokens").fetchall()
    second = run("load", str(meeting), data=tmp_path / "d")
    assert second.returncode == 0 and "unchanged; 0 new link(s)" in second.stdout
    after = db.execute("SELECT updated_ms FROM meetings").fetchall(), db.execute("SELECT * FROM tokens").fetchall()
    assert before == after


@pytest.mark.sqlite
def test_invalid_file_lists_problems_and_changes_nothing(tmp_path):
    meeting = tmp_path / "meeting.toml"
    meeting.write_text(demo_meeting_text())
    assert run("load", str(meeting), data=tmp_path / "d").returncode == 0
    broken = demo_meeting_text().replace('title = "Next steps"', 'title = ""').replace(
        "end = 2012-11-05T13:00:00", "end = 2012-11-05T10:00:00")
    meeting.write_text(broken)
    result = run("load", str(meeting), data=tmp_path / "d")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith(f"{meeting}:") and ": sessions[1].end: must be after start" in line for line in lines)
    assert any(": sessions[3].title: is required" in line for line in lines)
    db = sqlite3.connect(tmp_path / "d" / "floorcast.db")
    assert db.execute("SELECT title FROM sessions WHERE id = 'closing'").fetchone() == ("Next steps",)


@pytest.mark.sqlite
def test_links_json_uses_the_base_url(tmp_path):
    meeting = tmp_path / "meeting.toml"
    meeting.write_text(demo_meeting_text())
    run("load", str(meeting), data=tmp_path / "d")
    result = run("links", "--json", "--base-url", "https://floor.example.org/", data=tmp_path / "d")
    [entry] = json.loads(result.stdout)
    urls = [row["url"] for row in entry["links"]]
    assert len(urls) == 14 and all(u.startswith("https://floor.example.org/m/ec-baku-2012") for u in urls)
    sessions = {row["session_id"] for row in entry["links"]}
    assert sessions == {None, "morning", "afternoon", "closing"}
    assert run("links", "--meeting", "nope", data=tmp_path / "d").returncode == 1


async def test_load_while_serving_refreshes_the_running_meeting(server, http, connect, inbox, tmp_path):
    viewer = await connect("/live")
    box = inbox(viewer, "/live", "agenda_changed")
    changed = tmp_path / "changed.toml"
    changed.write_text(demo_meeting_text().replace('title = "Next steps"', 'title = "Next steps and closing"'))
    result = await asyncio.to_thread(run, "load", str(changed), data=server.settings.data_dir,
                                   database=server.settings.database)
    assert result.returncode == 0, result.stderr
    await box.wait_for(lambda n, d: d["meeting"] == DEMO, timeout=WAIT)
    async with http.get(server.url(f"/api/meetings/{DEMO}")) as r:
        assert (await r.json())["sessions"][2]["title"] == "Next steps and closing"


@dataclasses.dataclass
class ServerLog:
    """What a started server writes to standard error, read until it exits: a full pipe would stall it."""

    lines: list[str]
    drained: asyncio.Task[None]


async def start_server(data: Path, *extra: str) -> tuple[asyncio.subprocess.Process, str, ServerLog]:
    """Start ``python run.py`` on an ephemeral port; returns the process, its base URL (read from its log) and
    the rest of its log."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "run.py", "--data", str(data), "--port", "0", *extra, cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    stderr = proc.stderr
    assert stderr is not None  # a pipe was asked for

    async def listening() -> str:
        while True:
            line = (await stderr.readline()).decode()
            if not line:
                raise AssertionError("the server exited before listening")
            if line.startswith("Floorcast is serving "):
                return line.split()[3].rstrip("/")

    base = await asyncio.wait_for(listening(), timeout=30)
    # Keep reading the log: a full pipe would stall the server mid-request.
    lines: list[str] = []

    async def drain() -> None:
        while line := await stderr.readline():
            lines.append(line.decode())

    return proc, base, ServerLog(lines, asyncio.create_task(drain()))


@pytest.mark.sqlite
async def test_serve_demo_then_stop_on_sigterm(tmp_path):
    proc, base, log = await start_server(tmp_path / "d")
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http:
            async with http.get(f"{base}/healthz") as r:
                assert r.status == 200
            async with http.get(f"{base}/m/{DEMO}") as r:
                assert r.status == 200 and "From Deadlock to Dialogue" in await r.text()
            async with http.get(f"{base}/m/{DEMO}/admin?t=SecretTokenValue123") as r:
                assert r.status == 403
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=20) == 0
        await asyncio.wait_for(log.drained, timeout=WAIT)
        logs = "".join(log.lines)
        assert '"shutting down"' in logs
        assert "SecretTokenValue123" not in logs and "/admin?t=***" in logs
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def _sound_data_dir(data: Path) -> Path:
    """A data directory with a real database (the demo meeting loaded) and a key."""
    meeting = data.parent / "meeting.toml"
    meeting.write_text(demo_meeting_text())
    assert run("load", str(meeting), data=data).returncode == 0
    return data


def _garbage_inside(data: Path) -> None:
    db = data / "floorcast.db"
    body = bytearray(db.read_bytes())
    assert len(body) > 32 * 1024
    body[16 * 1024:24 * 1024] = bytes((i * 37 + 11) % 256 for i in range(8 * 1024))  # 8 KB, past the header
    db.write_bytes(bytes(body))


def _not_a_database(data: Path) -> None:
    (data / "floorcast.db").write_bytes(b"this is no SQLite file\n" * 400)


def _short_key(data: Path) -> None:
    (data / "link.key").write_bytes(b"0123456789")


def _read_only(data: Path) -> None:
    # Root ignores file modes; the immutable attribute stops root too (chattr needs root and ext2/3/4 or xfs).
    db = data / "floorcast.db"
    if os.geteuid() != 0:
        db.chmod(0o444)
        data.chmod(0o555)
    elif subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode != 0:
        pytest.skip("root ignores file modes and this file system has no immutable attribute")


def _writable_again(data: Path) -> None:
    if (data / "floorcast.db").exists():
        subprocess.run(["chattr", "-i", str(data / "floorcast.db")], capture_output=True)
    data.chmod(0o755)


@pytest.mark.sqlite
@pytest.mark.parametrize(("damage", "said"), [
    (_garbage_inside, "the database is damaged"),
    (_not_a_database, "file is not a database"),
    (_short_key, "link.key is damaged: expected 32 bytes, found 10"),
    (_read_only, "the database does not take writes"),
], ids=["garbage-inside", "not-a-database", "short-key", "read-only"])
def test_serve_refuses_to_start_on_damaged_data_with_one_line(tmp_path, damage, said):
    data = _sound_data_dir(tmp_path / "d")
    damage(data)
    try:
        started = subprocess.run([sys.executable, "run.py", "--data", str(data), "--port", "0"], cwd=ROOT,
                                 capture_output=True, text=True, timeout=30,
                                 env={**os.environ, "FLOORCAST_LOG_LEVEL": "ERROR"})
    finally:
        _writable_again(data)
    assert started.returncode == 2, started.stderr[-2000:]
    lines = started.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and said in lines[-1], started.stderr[-2000:]
    assert "Traceback" not in started.stderr and "Floorcast is serving" not in started.stderr
