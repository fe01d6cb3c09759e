"""SubRip (``.srt``) captions: numbered cues with ``HH:MM:SS,mmm`` times relative to the session start."""

from __future__ import annotations

from ..clock import srt_timestamp
from ..model import Transcript
from .cues import cues


def render(transcript: Transcript, *, lang: str | None = None, **_: object) -> str:
    """The captions of one language as a SubRip file (speaker names as a ``NAME:`` prefix on a turn's first cue)."""
    out: list[str] = []
    for n, cue in enumerate(cues(transcript, lang), start=1):
        lines = list(cue.lines)
        if cue.turn_start:
            # SubRip has no voice markup; players show the usual CART marks as plain text.
            lines[0] = f">> {cue.speaker.upper()}: {lines[0]}" if cue.speaker else f">> {lines[0]}"
        out.append(str(n))
        out.append(f"{srt_timestamp(cue.start_ms)} --> {srt_timestamp(cue.end_ms)}")
        out.extend(lines)
        out.append("")
    return "\n".join(out) + ("\n" if out else "")
