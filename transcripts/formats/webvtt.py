"""WebVTT captions, valid under the W3C rules: relative timestamps, ``<v>`` voices, escaped text."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..model import Transcript
from ..turns import SpeakerTurn
from .cues import rows, stamp_tables, timestamp

#: Any run of two or more hyphens before ``>``: each would read as the cue timing arrow ``-->``.
_ARROWS = re.compile(r"-{2,}>")


def note_text(text: str) -> str:
    """Text safe inside a NOTE block: one line (a blank line ends it) without ``-->`` anywhere in it."""
    return _ARROWS.sub("->", " ".join(text.split()))


def escape(text: str) -> str:
    """Escape the three characters WebVTT cue text reserves (also inside a ``<v>`` annotation)."""
    if "&" not in text and "<" not in text and ">" not in text:  # most lines: nothing to escape
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(transcript: Transcript, *, lang: str | None = None, turns: Sequence[SpeakerTurn] | None = None,
           **_: object) -> str:
    """The captions of one language as a WebVTT file (``turns``: the language's turns, when already built)."""
    # A NOTE ends at a blank line and may not contain "-->", so the title is kept to one plain line.
    out = ["WEBVTT", "", "NOTE", note_text(f"{transcript.meeting.title} - {transcript.session.title}"), ""]
    voices: dict[str, str] = {}
    hms, milli = stamp_tables(".")
    for n, (start, end, cue_lines, speaker, turn_start) in enumerate(rows(transcript, lang, turns=turns), start=1):
        text = escape("\n".join(cue_lines))
        if speaker:
            voice = voices.get(speaker)
            if voice is None:
                voice = voices[speaker] = "<v " + " ".join(escape(speaker).split()) + ">"  # an annotation is one line
            text = voice + text
        elif turn_start:
            text = "&gt;&gt; " + text  # the captioners' mark for a new, unnamed speaker
        try:  # looked up here rather than through timestamp(): a long meeting has a third of a million cues
            out.append(f"{n}\n{hms[start // 1000]}{milli[start % 1000]} --> {hms[end // 1000]}{milli[end % 1000]}\n"
                       f"{text}\n")
        except IndexError:
            out.append(f"{n}\n{timestamp(start, '.')} --> {timestamp(end, '.')}\n{text}\n")
    return "\n".join(out)
