"""Command line: convert an exported Floorcast JSON file offline.

    python -m transcripts export.json --to vtt -o session.vtt
    python -m transcripts meeting.json --to summary-docx -o summary.docx
    python -m transcripts meeting.json --to summary-md --lang fr
    python -m transcripts meeting.json --to pack -o igf2012.zip
    python -m transcripts - --json-lines --to pack < meeting.jsonl > igf2012.zip

With ``--json-lines`` the input is read one line at a time: a ``floorcast-meeting`` document without its sessions,
then one session document per line (or a single ``floorcast-transcript`` line). A pack is then written as the
sessions arrive, so neither the meeting nor the zip is ever held whole; this is how the server streams packs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

import jinja2

from . import draft, pack
from .errors import TranscriptFormatError
from .formats import WRITERS, writer
from .formats.common import CLOCKS
from .language import LANGUAGES
from .model import MEETING_FORMAT, MeetingInfo, MeetingRecord, Roster, Transcript, load
from .reading import Fields
from .summary import CountingRules

SUMMARIES = ("summary-md", "summary-html", "summary-docx")
TARGETS = tuple(name for name, *_ in WRITERS) + SUMMARIES + ("pack",)
BINARY = ("docx", "summary-docx", "pack")


class CliError(Exception):
    """A problem to report in one line, without a traceback."""


def parser() -> argparse.ArgumentParser:
    """The argument parser; ``--help`` documents every option."""
    p = argparse.ArgumentParser(
        prog="python -m transcripts",
        description="Convert an exported Floorcast session (floorcast-transcript) or meeting (floorcast-meeting) "
                    "JSON file into transcripts, the rapporteur's figures and a draft summary.",
        epilog="Formats: txt (IGF raw-captioning layout), vtt (WebVTT), srt (SubRip), json (the export format "
               "plus resolved speaker turns), html (a self-contained page), docx (Word); summary-md, "
               "summary-html, summary-docx (the chair's summary draft and figures); pack (a zip of everything). "
               "For a meeting file, transcript formats need --session; summaries and pack cover the whole "
               "meeting unless --session is given. Exit status: 0 on success, 1 for unusable input, 2 for "
               "wrong arguments.")
    p.add_argument("input", help="exported JSON file, or - for standard input")
    p.add_argument("--to", required=True, choices=TARGETS, metavar="FORMAT",
                   help=f"output format: {', '.join(TARGETS)}")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="output file (default: standard output; binary formats refuse a terminal)")
    p.add_argument("--lang", help="the output's language: for a transcript, its caption language (default: the "
                                  "language with most captions); for a summary or a pack, the summary draft's, one "
                                  f"of {', '.join(LANGUAGES)} (default: en)")
    p.add_argument("--session", metavar="ID", help="session id, when INPUT is a whole meeting")
    p.add_argument("--stamps", action=argparse.BooleanOptionalAction, default=None,
                   help="prefix each speaker turn with [hh:mm:ss] (default: on for html/docx, off for txt)")
    p.add_argument("--clock", choices=CLOCKS, default="relative",
                   help="timestamps since the session start (relative) or on the meeting's local clock")
    p.add_argument("--summary-template", metavar="FILE", type=Path,
                   help="Jinja2 Markdown template replacing the default summary draft (transcripts/templates/"
                        "summary.md.j2 shows every variable)")
    p.add_argument("--igo", choices=("persons", "organisations"), default="persons",
                   help="count intergovernmental organisations' people as persons, or each organisation once")
    p.add_argument("--on-behalf", choices=("speaker", "exclude"), default="speaker",
                   help="whether a statement on behalf of a group of states counts for the speaker's country")
    p.add_argument("--json-lines", action="store_true",
                   help="INPUT is JSON Lines: a meeting without its sessions, then one session per line (or one "
                        "session); a pack is written as the sessions are read")
    p.add_argument("--nice", type=int, default=0, metavar="N",
                   help="lower this process's CPU priority by N (for exports run beside live work)")
    return p


def _read(source: str) -> Transcript | MeetingRecord:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {source}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise CliError(f"{source} is not UTF-8 text") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from exc
    try:
        return load(data)
    except TranscriptFormatError as exc:
        raise CliError(f"{source} is not a Floorcast export: {exc}") from exc


def _lines(source: str) -> Iterator[tuple[int, object]]:
    try:
        stream = sys.stdin if source == "-" else open(source, encoding="utf-8")  # noqa: SIM115 closed below
    except OSError as exc:
        raise CliError(f"cannot read {source}: {exc.strerror or exc}") from exc
    with stream:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise CliError(f"{source} line {number} is not valid JSON: {exc.msg}") from exc


def _read_lines(source: str) -> tuple[Transcript | MeetingInfo, Iterator[Transcript]]:
    """The first line (a session, or a meeting without sessions) and an iterator over the sessions that follow."""
    lines = _lines(source)
    first = next(lines, None)
    if first is None:
        raise CliError(f"{source} is empty")
    _, data = first
    try:
        if not (isinstance(data, dict) and data.get("format") == MEETING_FORMAT):
            return Transcript.from_dict(data), iter(())
        meeting = MeetingInfo.from_fields(Fields(data, "").obj("meeting"))
        roster = Roster.from_fields(Fields(data, ""))  # the meeting's hubs and registrations
    except TranscriptFormatError as exc:
        raise CliError(f"{source} is not a Floorcast export: {exc}") from exc

    def sessions() -> Iterator[Transcript]:
        for number, item in lines:
            try:
                yield Transcript.from_dict(item, meeting, f"line {number}", roster)
            except TranscriptFormatError as exc:
                raise CliError(f"{source} is not a Floorcast export: {exc}") from exc

    return meeting, sessions()


def _stream_pack(args: argparse.Namespace, out: IO[bytes]) -> None:
    """Write a pack from JSON Lines input to ``out`` as the sessions are read."""
    first, sessions = _read_lines(args.input)
    rules = CountingRules(igo_as=args.igo, on_behalf=args.on_behalf)
    template, language = _template(args), _draft_language(args)
    if isinstance(first, Transcript):
        pack.write(first, out, rules=rules, template=template, stamps=args.stamps is not False, language=language)
    else:
        pack.write_meeting(first, sessions, out, rules=rules, template=template, stamps=args.stamps is not False,
                           language=language)


def _template(args: argparse.Namespace) -> Path | None:
    template: Path | None = args.summary_template
    if template is not None and not template.is_file():
        raise CliError(f"summary template {template} does not exist")
    return template


def _draft_language(args: argparse.Namespace) -> str | None:
    language: str | None = args.lang
    if language is not None and language not in LANGUAGES:
        raise CliError(f"no summary draft in language {language!r} (languages: {', '.join(LANGUAGES)})")
    return language


def convert(args: argparse.Namespace) -> str | bytes:
    """Produce the requested output."""
    if args.json_lines:
        first, _ = _read_lines(args.input)
        if not isinstance(first, Transcript):
            raise CliError("JSON Lines input holding a meeting only converts to a pack")
        record: Transcript | MeetingRecord = first
    else:
        record = _read(args.input)
    rules = CountingRules(igo_as=args.igo, on_behalf=args.on_behalf)
    if isinstance(record, MeetingRecord) and args.session:
        record = record.session(args.session)
    template = _template(args)
    if args.to == "pack":
        return pack.build(record, rules=rules, template=template, stamps=args.stamps is not False,
                          language=_draft_language(args))
    if args.to in SUMMARIES:
        meeting, sessions = (record.meeting, list(record.sessions)) if isinstance(record, MeetingRecord) \
            else (record.meeting, [record])
        renderers: dict[str, Callable[..., str | bytes]] = {
            "summary-md": draft.render_markdown, "summary-html": draft.render_html, "summary-docx": draft.render_docx,
        }
        return renderers[args.to](meeting, sessions, rules, template, _draft_language(args))
    if isinstance(record, MeetingRecord):
        ids = ", ".join(t.session.id for t in record.sessions) or "none"
        raise CliError(f"{args.input} holds a whole meeting: choose a session with --session (sessions: {ids})")
    options = {"lang": record.language(args.lang), "clock": args.clock}
    if args.stamps is not None:
        options["stamps"] = args.stamps
    render: Callable[..., str | bytes] = writer(args.to).render
    return render(record, **options)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = parser().parse_args(argv)
    if args.to in BINARY and not args.output and sys.stdout.isatty():
        print(f"transcripts: error: {args.to} output is binary; write it to a file with -o", file=sys.stderr)
        return 2
    if args.nice:
        os.nice(args.nice)
    try:
        if args.to in (*SUMMARIES, "pack"):
            _draft_language(args)  # refused before any output is opened
        if args.json_lines and args.to == "pack":
            return _write_stream(args)
        result = convert(args)
    except (CliError, TranscriptFormatError) as exc:
        print(f"transcripts: error: {exc}", file=sys.stderr)
        return 1
    except jinja2.TemplateError as exc:
        lineno = getattr(exc, "lineno", None)
        where = f" (line {lineno})" if lineno else ""
        print(f"transcripts: error: summary template: {exc}{where}", file=sys.stderr)
        return 1
    data = result.encode("utf-8") if isinstance(result, str) else result
    if args.output:
        try:
            Path(args.output).write_bytes(data)
        except OSError as exc:
            print(f"transcripts: error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def _write_stream(args: argparse.Namespace) -> int:
    """A pack from JSON Lines, written to the output as it is made."""
    try:
        out: IO[bytes] = open(args.output, "wb") if args.output else sys.stdout.buffer  # noqa: SIM115 closed below
    except OSError as exc:
        print(f"transcripts: error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    try:
        _stream_pack(args, out)
    finally:
        out.flush()
        if args.output:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
