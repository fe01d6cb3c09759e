"""Fixtures for the transcript library tests: the hand-built meeting and the W3C WebVTT validator."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from transcripts import MeetingRecord, Transcript
from transcripts.model import load

from .meeting import dialogue_session, meeting_export

REPO = Path(__file__).resolve().parents[2]
XSS = "<script>alert(1)</script>"

# Runs webvtt-parser (the W3C validator's engine) over a JSON list of files and prints each file's errors.
VALIDATE_JS = """
const {WebVTTParser} = require('webvtt-parser');
const entities = require('webvtt-parser/html-entities.json');
let input = '';
process.stdin.on('data', d => input += d);
process.stdin.on('end', () => {
  const out = JSON.parse(input).map(text => {
    const tree = new WebVTTParser(entities).parse(text);
    return {errors: tree.errors.map(e => `line ${e.line}: ${e.message}`), cues: tree.cues.length};
  });
  process.stdout.write(JSON.stringify(out));
});
"""


@pytest.fixture
def session_dict() -> dict[str, Any]:
    """The ``ec-dialogue`` export as a fresh dict (tests may change it)."""
    return dialogue_session()


@pytest.fixture
def transcript(session_dict: dict[str, Any]) -> Transcript:
    """The ``ec-dialogue`` session."""
    return Transcript.from_dict(session_dict)


@pytest.fixture
def meeting() -> MeetingRecord:
    """Both sessions of the meeting."""
    record = load(meeting_export())
    assert isinstance(record, MeetingRecord)
    return record


@pytest.fixture
def hostile(session_dict: dict[str, Any]) -> Transcript:
    """The session with script tags in a caption, a speaker's name, a question and a title."""
    session_dict["segments"][8]["text"] = f"Brazil says {XSS} & more"
    session_dict["interventions"][2]["name"] = f"Ana {XSS}"
    session_dict["interventions"][2]["organisation"] = '"><img src=x onerror=alert(1)>'
    session_dict["questions"][0]["text"] = f"Why {XSS}?"
    session_dict["session"]["title"] = f"Dialogue {XSS}"
    session_dict["attendance"][0]["name"] = f"Ana {XSS}"
    return Transcript.from_dict(session_dict)


@pytest.fixture(scope="session")
def vtt_validator() -> Callable[[list[str]], list[dict[str, Any]]]:
    """Validate WebVTT texts with the npm ``webvtt-parser``; returns errors and cue count per text."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, so the W3C WebVTT validator (npm webvtt-parser) cannot run")
    if not (REPO / "node_modules" / "webvtt-parser").is_dir():
        pytest.fail("npm webvtt-parser is missing: run `npm install` in the repository root")

    def validate(texts: list[str]) -> list[dict[str, Any]]:
        done = subprocess.run([node, "-e", VALIDATE_JS], input=json.dumps(texts), capture_output=True, text=True,
                              cwd=REPO, timeout=60, check=True)
        return json.loads(done.stdout)

    return validate
