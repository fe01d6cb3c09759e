"""WebVTT captions, valid under the W3C rules: relative timestamps, ``<v>`` voices, escaped text."""

from __future__ import annotations

import re

from ..clock import vtt_timestamp
from ..model import Transcript
from .cues import cues

#: Any run of two or more hyphens before ``>``: each would read as the cue timing arrow ``-->``.
_ARROWS = re.compile(r"-{2,}>")


def note_text(text: str) -> str:
    """Text safe inside a NOTE block: one line (a blank line ends it) without ``-->`` anywhere in it."""
    return _ARROWS.sub("->", " ".join(text.split()))


def escape(text: str) -> str:
    """Escape the three characters WebVTT cue text reserves (also inside a ``<v>`` annotation)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(transcript: Transcript, *, lang: str | None = None, **_: object) -> str:
    """The captions of one language as a WebVTT file."""
    # A NOTE ends at a blank line and may not contain "-->", so the title is kept to one plain line.
    out = ["WEBVTT", "", "NOTE", note_text(f"{transcript.meeting.title} - {transcript.session.title}"), ""]
    for n, cue in enumerate(cues(transcript, lang), start=1):
        lines = [escape(line) for line in cue.lines]
        if cue.speaker:
            name = " ".join(escape(cue.speaker).split())  # an annotation is one line
            lines[0] = f"<v {name}>{lines[0]}"
        elif cue.turn_start:
            lines[0] = f"&gt;&gt; {lines[0]}"  # the captioners' mark for a new, unnamed speaker
        out.append(str(n))
        out.append(f"{vtt_timestamp(cue.start_ms)} --> {vtt_timestamp(cue.end_ms)}")
        out.extend(lines)
        out.append("")
    return "\n".join(out)
