"""The command line, run as a user would: ``python -m transcripts``."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest

from .conftest import REPO
from .meeting import dialogue_session, meeting_export


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "transcripts", *args], capture_output=True, cwd=REPO,
                          input=stdin.encode() if stdin is not None else None, timeout=60)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    session, meeting = tmp_path / "session.json", tmp_path / "meeting.json"
    session.write_text(json.dumps(dialogue_session()), encoding="utf-8")
    meeting.write_text(json.dumps(meeting_export()), encoding="utf-8")
    return {"session": session, "meeting": meeting, "dir": tmp_path}


def test_help_documents_every_option():
    done = run("--help")
    assert done.returncode == 0
    out = done.stdout.decode()
    for option in ("--to", "-o", "--lang", "--session", "--stamps", "--clock", "--summary-template", "--igo",
                   "--on-behalf", "summary-docx", "pack", "Exit status"):
        assert option in out


@pytest.mark.parametrize("fmt, expected", [
    ("txt", ">> ANRIETTE ESTERHUYSEN: Thank you, Chair."),
    ("vtt", "WEBVTT"),
    ("srt", "00:00:10,000 --> 00:00:14,000"),
    ("json", '"format": "floorcast-transcript"'),
    ("html", 'id="intervention-1"'),
    ("summary-md", "It was attended by 4 governments and 12 other participants"),
    ("summary-html", "<h2>Debate</h2>"),
])
def test_text_formats_to_stdout(files, fmt, expected):
    done = run(str(files["session"]), "--to", fmt)
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout.decode()


def test_options_reach_the_writers(files):
    out = run(str(files["session"]), "--to", "txt", "--stamps", "--clock", "local", "--lang", "fr").stdout.decode()
    assert "[10:32:10] >> PRÉSIDENT: Bonjour et bienvenue." in out
    html = run(str(files["session"]), "--to", "html", "--no-stamps").stdout.decode()
    assert 'class="stamp"' not in html
    md = run(str(files["session"]), "--to", "summary-md", "--igo", "organisations", "--on-behalf", "exclude")
    assert "by 3 governments, by 1 intergovernmental organisation and by 4 participants" in md.stdout.decode()


def test_binary_formats_to_files(files):
    out = files["dir"] / "t.docx"
    assert run(str(files["session"]), "--to", "docx", "-o", str(out)).returncode == 0
    assert any("Brazil, you have the floor" in p.text for p in docx.Document(str(out)).paragraphs)
    out = files["dir"] / "s.docx"
    assert run(str(files["meeting"]), "--to", "summary-docx", "-o", str(out)).returncode == 0
    assert docx.Document(str(out)).paragraphs[0].text == "Internet Governance Forum 2012"
    out = files["dir"] / "all.zip"
    assert run(str(files["meeting"]), "--to", "pack", "-o", str(out)).returncode == 0
    assert "sessions/ec-dialogue/transcript.en.vtt" in zipfile.ZipFile(out).namelist()


def test_meeting_file_with_a_session(files):
    done = run(str(files["meeting"]), "--to", "srt", "--session", "main-session")
    assert done.returncode == 0 and ">> CHAIR: Welcome to the main session." in done.stdout.decode()
    done = run(str(files["meeting"]), "--to", "pack", "--session", "main-session")
    assert done.returncode == 0 and "README.txt" in zipfile.ZipFile(io.BytesIO(done.stdout)).namelist()


def test_stdin_input(files):
    done = run("-", "--to", "vtt", stdin=files["session"].read_text())
    assert done.returncode == 0 and done.stdout.startswith(b"WEBVTT")


@pytest.mark.parametrize("args, content, message", [
    (["missing.json", "--to", "txt"], None, "cannot read missing.json"),
    (["{bad}", "--to", "txt"], "{", "is not valid JSON: Expecting property name enclosed in double quotes at line 1"),
    (["{bad}", "--to", "txt"], '{"format": "x"}', "is not a Floorcast export: format: expected 'floorcast-transcript'"),
    (["{bad}", "--to", "txt"], json.dumps({**dialogue_session(), "segments": [{"seq": 0}]}),
     "segments[0].first_ms: required field is missing"),
    (["{meeting}", "--to", "txt"], None, "choose a session with --session (sessions: ec-dialogue, main-session)"),
    (["{meeting}", "--to", "txt", "--session", "nope"], None, "no session 'nope' in this meeting"),
    (["{session}", "--to", "vtt", "--lang", "de"], None, "no captions in language 'de' (available: en, fr)"),
    (["{session}", "--to", "summary-md", "--summary-template", "nope.j2"], None, "summary template nope.j2 does not"),
    (["{session}", "--to", "summary-md", "--summary-template", "{bad}"], "{% if %}", "summary template:"),
    (["{session}", "--to", "summary-md", "--summary-template", "{bad}"], "{{ figures.nothing }}",
     "has no attribute 'nothing'"),
])
def test_bad_input_gives_one_clear_line_and_a_non_zero_exit(files, args, content, message):
    bad = files["dir"] / "bad.txt"
    if content is not None:
        bad.write_text(content)
    args = [a.format(bad=bad, session=files["session"], meeting=files["meeting"]) for a in args]
    done = run(*args)
    err = done.stderr.decode()
    assert done.returncode == 1
    assert message in err and err.startswith("transcripts: error: ") and "Traceback" not in err
    assert done.stdout == b""


def test_usage_errors_exit_2(files):
    done = run(str(files["session"]), "--to", "pdf")
    assert done.returncode == 2 and "invalid choice" in done.stderr.decode()


def test_json_lines_meeting_streams_a_pack(tmp_path):
    meeting = meeting_export()
    sessions = meeting.pop("sessions")
    lines = "\n".join(json.dumps(x) for x in [{**meeting, "sessions": []}, *sessions]) + "\n"
    done = run("-", "--json-lines", "--to", "pack", "--nice", "5", stdin=lines)
    assert done.returncode == 0, done.stderr
    archive = zipfile.ZipFile(io.BytesIO(done.stdout))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names[0] == "README.txt" and names[-6:] == ["summary.md", "summary.html", "summary.docx", "figures.json",
                                                        "figures.csv", "annex.csv"]
    assert b"5 governments and 12 other participants" in archive.read("summary.md")
    assert "sessions/ec-dialogue/transcript.en.vtt" in names
    bad = run("-", "--json-lines", "--to", "pack", stdin=lines + "{not json\n")
    assert bad.returncode == 1 and b"line 4 is not valid JSON" in bad.stderr


def test_lang_chooses_the_summary_drafts_language(files):
    done = run(str(files["session"]), "--to", "summary-md", "--lang", "fr")
    assert done.returncode == 0, done.stderr
    assert "Des interventions ont été faites au cours du débat par 4 gouvernements et par 5 intervenants" in \
        done.stdout.decode()
    out = files["dir"] / "ar.docx"
    assert run(str(files["meeting"]), "--to", "summary-docx", "--lang", "ar", "-o", str(out)).returncode == 0
    document = docx.Document(str(out))
    assert document.paragraphs[0].text == "Internet Governance Forum 2012"
    assert all(p._p.pPr.find(docx.oxml.ns.qn("w:bidi")) is not None for p in document.paragraphs)
    html = run(str(files["session"]), "--to", "summary-html", "--lang", "zh").stdout.decode()
    assert '<html lang="zh">' in html and "<h2>辩论</h2>" in html


def test_json_lines_pack_has_its_summary_in_the_chosen_language():
    meeting = meeting_export()
    sessions = meeting.pop("sessions")
    lines = "\n".join(json.dumps(x) for x in [{**meeting, "sessions": []}, *sessions]) + "\n"
    done = run("-", "--json-lines", "--to", "pack", "--lang", "ar", stdin=lines)
    assert done.returncode == 0, done.stderr
    archive = zipfile.ZipFile(io.BytesIO(done.stdout))
    assert '<html lang="ar" dir="rtl">' in archive.read("summary.html").decode()
    assert "حضر 4 حكومات و12 مشاركًا آخر" in archive.read("sessions/ec-dialogue/summary.md").decode()


@pytest.mark.parametrize("extra", [[], ["--json-lines"]])
def test_an_unknown_draft_language_is_one_line_and_writes_nothing(files, extra):
    out = files["dir"] / "pack.zip"
    done = run(str(files["session"]), "--to", "pack", "--lang", "de", "-o", str(out), *extra)
    assert done.returncode == 1 and not out.exists()
    assert done.stderr.decode() == \
        "transcripts: error: no summary draft in language 'de' (languages: en, ar, zh, fr, ru, es)\n"
