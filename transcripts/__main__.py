"""Command line: convert an exported Floorcast JSON file offline.

    python -m transcripts export.json --to vtt -o session.vtt
    python -m transcripts meeting.json --to summary-docx -o summary.docx
    python -m transcripts meeting.json --to pack -o igf2012.zip
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import jinja2

from . import draft, pack
from .errors import TranscriptFormatError
from .formats import WRITERS, writer
from .formats.common import CLOCKS
from .model import MeetingRecord, Transcript, load
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
    p.add_argument("--lang", help="caption language, e.g. en (default: the language with most captions)")
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


def convert(args: argparse.Namespace) -> str | bytes:
    """Produce the requested output."""
    record = _read(args.input)
    rules = CountingRules(igo_as=args.igo, on_behalf=args.on_behalf)
    if isinstance(record, MeetingRecord) and args.session:
        record = record.session(args.session)
    template = args.summary_template
    if template is not None and not template.is_file():
        raise CliError(f"summary template {template} does not exist")
    if args.to == "pack":
        return pack.build(record, rules=rules, template=template, stamps=args.stamps is not False)
    if args.to in SUMMARIES:
        meeting, sessions = (record.meeting, list(record.sessions)) if isinstance(record, MeetingRecord) \
            else (record.meeting, [record])
        renderers: dict[str, Callable[..., str | bytes]] = {
            "summary-md": draft.render_markdown, "summary-html": draft.render_html, "summary-docx": draft.render_docx,
        }
        return renderers[args.to](meeting, sessions, rules, template)
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
    try:
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


if __name__ == "__main__":
    sys.exit(main())
