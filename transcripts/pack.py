"""A zip of everything for a session or a whole meeting: transcripts in every format and language, figures,
the summary draft and the annex. The archive is deterministic: the same export gives the same bytes.

The zip is written as a stream (``write``, ``write_meeting``): each file is made, compressed and written before
the next, so neither the meeting nor the archive is held in memory, and the output may be a pipe or a socket.
A meeting given as an iterator of sessions (read one at a time) gets its own summary after the sessions, from
the sessions without their captions (the figures never read them).
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

import orjson

from . import draft, tables
from .formats import WRITERS, html, writer
from .formats import json as json_writer
from .model import MeetingInfo, MeetingRecord, Transcript
from .summary import CountingRules, figures

README = """Contents

transcript.<lang>.<ext>   raw captioning of a session, one file per language and format
                          (txt, vtt, srt, html, docx); not an authoritative record
transcript.json           every segment of every language, the floor log, questions and attendance
summary.md/.html/.docx    draft chair's summary, to be edited (in the language chosen for the pack)
figures.json/.csv         attendance, contributions, floor time, questions and unserved requests
annex.csv                 participants who agreed to be listed
"""
#: Text compresses about 4:1 at level 1 nearly five times faster than at the default level 6, for a few percent
#: more bytes; Word files are zips already and are stored as they are.
TEXT_LEVEL = 1
STORED = (".docx",)


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "session"


def _summary_files(meeting: MeetingInfo, transcripts: Sequence[Transcript], drafter: draft.Drafter,
                   prefix: str) -> Iterator[tuple[str, bytes]]:
    figs = figures(meeting, transcripts, drafter.rules)
    source = drafter.markdown(meeting, transcripts)
    title = drafter.title(meeting, transcripts)
    yield f"{prefix}summary.md", source.encode()
    yield f"{prefix}summary.html", drafter.html(title, source).encode()
    yield f"{prefix}summary.docx", drafter.docx(title, source, author=meeting.secretariat or meeting.title,
                                                 made_ms=draft.made_ms(transcripts))
    yield f"{prefix}figures.json", orjson.dumps(figs, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"
    yield f"{prefix}figures.csv", tables.figures_csv(figs).encode()
    yield f"{prefix}annex.csv", tables.annex_csv(meeting, figs["annex"]).encode()


def session_files(transcript: Transcript, drafter: draft.Drafter, prefix: str = "",
                  stamps: bool = True) -> Iterator[tuple[str, bytes]]:
    """Every file for one session as ``(path, bytes)``."""
    page = html.page_template()
    built = {}
    for lang in transcript.languages() or [transcript.language(None)]:
        built[lang] = turns = transcript.turns(lang)  # built once, used by every format of the language
        for name, _module, ext, _binary in WRITERS:
            if name == "json":
                continue  # one JSON file carries every language
            data = writer(name).render(transcript, lang=lang, stamps=stamps, template=page, turns=turns)
            yield f"{prefix}transcript.{lang}.{ext}", data if isinstance(data, bytes) else data.encode()
    yield f"{prefix}transcript.json", json_writer.render_bytes(transcript, turns_by_lang=built)
    yield from _summary_files(transcript.meeting, [transcript], drafter, prefix)


def without_captions(transcript: Transcript) -> Transcript:
    """The session for figures and summaries: its caption segments dropped but the last one, which may still give
    the session's end (``Transcript.end_ms``)."""
    last = max(transcript.segments, key=lambda s: s.final_ms, default=None)
    return dataclasses.replace(transcript, segments=() if last is None else (last,))


def _meeting_files(meeting: MeetingInfo, sessions: Iterable[Transcript], drafter: draft.Drafter,
                   stamps: bool) -> Iterator[tuple[str, bytes]]:
    if isinstance(sessions, Sequence):
        yield from _summary_files(meeting, sessions, drafter, "")
        for t in sessions:
            yield from session_files(t, drafter, f"sessions/{_safe_name(t.session.id)}/", stamps)
        return
    seen = []
    for t in sessions:
        yield from session_files(t, drafter, f"sessions/{_safe_name(t.session.id)}/", stamps)
        seen.append(without_captions(t))
    yield from _summary_files(meeting, seen, drafter, "")


def _date(transcript: Transcript | None) -> tuple[int, int, int, int, int, int]:
    # A fixed timestamp (the meeting's own start, never "now") keeps the archive reproducible.
    if transcript is None:
        return (1980, 1, 1, 0, 0, 0)
    first = transcript.local(transcript.reference_ms)
    return (max(first.year, 1980), first.month, first.day, 0, 0, 0)


def _write(files: Iterator[tuple[str, bytes]], out: IO[bytes], stamp: tuple[int, int, int, int, int, int]) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files:
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED if path.endswith(STORED) else zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=TEXT_LEVEL)
            out.flush()  # each file reaches a streamed download as soon as it is made


def write(record: Transcript | MeetingRecord, out: IO[bytes], *, rules: CountingRules | None = None,
          template: str | Path | None = None, stamps: bool = True, language: str | None = None) -> None:
    """Write the zip for a session (files at the top) or a meeting (its summary at the top, sessions in folders)
    to ``out``, which need not be seekable; the summary drafts are in ``language`` (default English)."""
    drafter = draft.Drafter(template, rules, language)
    if isinstance(record, Transcript):
        files = itertools.chain(iter([("README.txt", README.encode())]), session_files(record, drafter, stamps=stamps))
        _write(files, out, _date(record))
        return
    first = min(record.sessions, key=lambda t: t.local(t.reference_ms), default=None)
    files = itertools.chain(iter([("README.txt", README.encode())]), _meeting_files(record.meeting, record.sessions,
                                                                         drafter, stamps))
    _write(files, out, _date(first))


def write_meeting(meeting: MeetingInfo, sessions: Iterable[Transcript], out: IO[bytes], *,
                  rules: CountingRules | None = None, template: str | Path | None = None,
                  stamps: bool = True, language: str | None = None) -> None:
    """Write a meeting's zip from sessions read one at a time (in agenda order: the first one dates the entries);
    the meeting's summary comes after the sessions."""
    drafter = draft.Drafter(template, rules, language)
    sessions = iter(sessions)
    first = next(sessions, None)
    rest = itertools.chain(iter([] if first is None else [first]), sessions)
    files = itertools.chain(iter([("README.txt", README.encode())]), _meeting_files(meeting, rest, drafter, stamps))
    _write(files, out, _date(first))


def build(record: Transcript | MeetingRecord, *, rules: CountingRules | None = None,
          template: str | Path | None = None, stamps: bool = True, language: str | None = None) -> bytes:
    """The zip for a session (files at the top) or a meeting (its summary at the top, sessions in folders)."""
    buffer = io.BytesIO()
    write(record, buffer, rules=rules, template=template, stamps=stamps, language=language)
    return buffer.getvalue()

