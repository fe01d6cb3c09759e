"""SubRip (``.srt``) captions: numbered cues with ``HH:MM:SS,mmm`` times relative to the session start."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Transcript
from ..turns import SpeakerTurn
from .cues import rows, stamp_tables, timestamp


def mark(speaker: str | None) -> str:
    """The CART mark that opens a turn: ``>> NAME:``, or ``>>`` for an unnamed speaker."""
    # SubRip has no voice markup; players show the usual CART marks as plain text.
    return f">> {speaker.upper()}:" if speaker else ">>"


def render(transcript: Transcript, *, lang: str | None = None, turns: Sequence[SpeakerTurn] | None = None,
           **_: object) -> str:
    """The captions of one language as a SubRip file (speaker names as a ``NAME:`` prefix on a turn's first cue,
    wrapped with the words so that every line keeps to the line length)."""
    out: list[str] = []
    hms, milli = stamp_tables(",")
    for n, (start, end, lines, _speaker, _first) in enumerate(rows(transcript, lang, mark=mark, turns=turns),
                                                              start=1):
        try:  # looked up here rather than through timestamp(), as in the WebVTT writer
            out.append(f"{n}\n{hms[start // 1000]}{milli[start % 1000]} --> {hms[end // 1000]}{milli[end % 1000]}\n"
                       + "\n".join(lines) + "\n")
        except IndexError:
            out.append(f"{n}\n{timestamp(start, ',')} --> {timestamp(end, ',')}\n" + "\n".join(lines) + "\n")
    return "\n".join(out) + ("\n" if out else "")
