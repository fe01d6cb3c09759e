"""A zip of everything for a session or a whole meeting: transcripts in every format and language, figures,
the summary draft and the annex. The archive is deterministic: the same export gives the same bytes."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from . import draft, tables
from .formats import WRITERS, html, writer
from .model import MeetingInfo, MeetingRecord, Transcript
from .summary import CountingRules, figures

README = """Contents

transcript.<lang>.<ext>   raw captioning of a session, one file per language and format
                          (txt, vtt, srt, html, docx); not an authoritative record
transcript.json           every segment of every language, the floor log, questions and attendance
summary.md/.html/.docx    draft chair's summary, to be edited
figures.json/.csv         attendance, contributions, floor time, questions and unserved requests
annex.csv                 participants who agreed to be listed
"""


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "session"


def _summary_files(meeting: MeetingInfo, transcripts: Sequence[Transcript], drafter: draft.Drafter,
                   prefix: str) -> Iterator[tuple[str, bytes]]:
    figs = figures(meeting, transcripts, drafter.rules)
    source = drafter.markdown(meeting, transcripts)
    title = draft.title(meeting, transcripts)
    yield f"{prefix}summary.md", source.encode()
    yield f"{prefix}summary.html", drafter.html(title, source).encode()
    yield f"{prefix}summary.docx", drafter.docx(title, source)
    yield f"{prefix}figures.json", (json.dumps(figs, ensure_ascii=False, indent=1) + "\n").encode()
    yield f"{prefix}figures.csv", tables.figures_csv(figs).encode()
    yield f"{prefix}annex.csv", tables.annex_csv(meeting, figs["annex"]).encode()


def session_files(transcript: Transcript, drafter: draft.Drafter, prefix: str = "",
                  stamps: bool = True) -> Iterator[tuple[str, bytes]]:
    """Every file for one session as ``(path, bytes)``."""
    page = html.environment().get_template("transcript.html.j2")  # compiled once for every language
    for lang in transcript.languages() or [transcript.language(None)]:
        for name, _module, ext, _binary in WRITERS:
            if name == "json":
                continue  # one JSON file carries every language
            data = writer(name).render(transcript, lang=lang, stamps=stamps, template=page)
            yield f"{prefix}transcript.{lang}.{ext}", data if isinstance(data, bytes) else data.encode()
    yield f"{prefix}transcript.json", writer("json").render(transcript).encode()
    yield from _summary_files(transcript.meeting, [transcript], drafter, prefix)


def _files(record: Transcript | MeetingRecord, drafter: draft.Drafter, stamps: bool) -> Iterator[tuple[str, bytes]]:
    yield "README.txt", README.encode()
    if isinstance(record, Transcript):
        yield from session_files(record, drafter, stamps=stamps)
        return
    yield from _summary_files(record.meeting, record.sessions, drafter, "")
    for t in record.sessions:
        yield from session_files(t, drafter, f"sessions/{_safe_name(t.session.id)}/", stamps)


def build(record: Transcript | MeetingRecord, *, rules: CountingRules | None = None,
          template: str | Path | None = None, stamps: bool = True) -> bytes:
    """The zip for a session (files at the top) or a meeting (its summary at the top, sessions in folders)."""
    drafter = draft.Drafter(template, rules)
    sessions = [record] if isinstance(record, Transcript) else list(record.sessions)
    starts = [t.local(t.reference_ms) for t in sessions]
    first = min(starts) if starts else None
    # A fixed timestamp (the meeting's own start, never "now") keeps the archive reproducible.
    stamp = (max(first.year, 1980), first.month, first.day, 0, 0, 0) if first else (1980, 1, 1, 0, 0, 0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # Files are compressed as they are made, so a meeting's pack never holds every uncompressed file at once.
        for path, data in _files(record, drafter, stamps):
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()
