"""A zip of everything for a session or a whole meeting: transcripts in every format and language, figures,
the summary draft and the annex. The archive is deterministic: the same export gives the same bytes."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Iterator, Sequence

from . import draft, tables
from .formats import WRITERS, writer
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


def _summary_files(meeting: MeetingInfo, transcripts: Sequence[Transcript], rules: CountingRules,
                   template: str | Path | None, prefix: str) -> Iterator[tuple[str, bytes]]:
    figs = figures(meeting, transcripts, rules)
    yield f"{prefix}summary.md", draft.render_markdown(meeting, transcripts, rules, template).encode()
    yield f"{prefix}summary.html", draft.render_html(meeting, transcripts, rules, template).encode()
    yield f"{prefix}summary.docx", draft.render_docx(meeting, transcripts, rules, template)
    yield f"{prefix}figures.json", (json.dumps(figs, ensure_ascii=False, indent=1) + "\n").encode()
    yield f"{prefix}figures.csv", tables.figures_csv(figs).encode()
    yield f"{prefix}annex.csv", tables.annex_csv(meeting, figs["annex"]).encode()


def session_files(transcript: Transcript, rules: CountingRules, template: str | Path | None = None,
                  prefix: str = "", stamps: bool = True) -> Iterator[tuple[str, bytes]]:
    """Every file for one session as ``(path, bytes)``."""
    for lang in transcript.languages() or [transcript.language(None)]:
        for name, _module, ext, _binary in WRITERS:
            if name == "json":
                continue  # one JSON file carries every language
            data = writer(name).render(transcript, lang=lang, stamps=stamps)
            yield f"{prefix}transcript.{lang}.{ext}", data if isinstance(data, bytes) else data.encode()
    yield f"{prefix}transcript.json", writer("json").render(transcript).encode()
    yield from _summary_files(transcript.meeting, [transcript], rules, template, prefix)


def build(record: Transcript | MeetingRecord, *, rules: CountingRules | None = None,
          template: str | Path | None = None, stamps: bool = True) -> bytes:
    """The zip for a session (files at the top) or a meeting (its summary at the top, sessions in folders)."""
    rules = rules or CountingRules()
    if isinstance(record, Transcript):
        files = list(session_files(record, rules, template, stamps=stamps))
        first = record.local(record.reference_ms)
    else:
        files = list(_summary_files(record.meeting, record.sessions, rules, template, ""))
        for t in record.sessions:
            files += session_files(t, rules, template, f"sessions/{_safe_name(t.session.id)}/", stamps)
        starts = [t.local(t.reference_ms) for t in record.sessions]
        first = min(starts) if starts else None
    # A fixed timestamp (the meeting's own start, never "now") keeps the archive reproducible.
    stamp = (max(first.year, 1980), first.month, first.day, 0, 0, 0) if first else (1980, 1, 1, 0, 0, 0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in [("README.txt", README.encode())] + files:
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()
