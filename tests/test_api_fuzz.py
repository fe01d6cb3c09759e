"""The HTTP API fuzzed by schemathesis from its own OpenAPI document: no 5xx, and every answer as documented."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import aiohttp

from .conftest import DEMO, WAIT
from .test_run import ROOT, start_server

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"


async def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(tmp_path):
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    assert st, "schemathesis is part of the test extras: pip install -e '.[test]'"
    proc, base, _log = await start_server(tmp_path / "d")
    try:
        links = json.loads(subprocess.run([sys.executable, "run.py", "--data", str(tmp_path / "d"), "links", "--json"],
                                          cwd=ROOT, capture_output=True, text=True, check=True, timeout=60).stdout)
        admin = next(row["url"].split("t=")[1] for row in links[0]["links"] if row["role"] == "admin")
        async with (aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http,
                    http.post(f"{base}/api/meetings/{DEMO}/sessions/morning/start?t={admin}") as r):
            assert r.status == 200  # a live session, so that ingest and the floor are really exercised
        config = tmp_path / "schemathesis.toml"
        config.write_text(f'[parameters]\n"path.slug" = "{DEMO}"\n"path.sid" = "morning"\n')
        # The admin link holds every role: the fuzzer reaches past the token check into each handler.
        fuzz = await asyncio.create_subprocess_exec(
            st, "--config-file", str(config), "run", f"{base}/api/openapi.json", "-H", f"Authorization: Bearer {admin}",
            "--checks", CHECKS, "--max-examples", "15", "--seed", "20121105", "--request-timeout", "5",
            "--phases", "coverage,fuzzing", cwd=tmp_path, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT)
        out = (await asyncio.wait_for(fuzz.communicate(), timeout=240))[0].decode(errors="replace")
        assert fuzz.returncode == 0, out[-6000:]
        assert " passed" in out
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), timeout=30)
