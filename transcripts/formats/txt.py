"""Plain text in the layout the IGF publishes raw captioning: title block, disclaimer, ``>> NAME:`` turns."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Transcript
from ..turns import SpeakerTurn
from .common import DISCLAIMER, stamp, title_block

RULE = "*" * 8


def render(transcript: Transcript, *, lang: str | None = None, stamps: bool = False, clock: str = "relative",
           turns: Sequence[SpeakerTurn] | None = None, **_: object) -> str:
    """The captions of one language as text; ``stamps`` prefixes each turn with ``[hh:mm:ss]`` on ``clock``
    (``turns``: the language's turns, when already built)."""
    block = title_block(transcript)
    head = [block.meeting, block.venue, block.session, block.room, block.date, block.time]
    out = ["RAW CAPTIONING", ""] + [line.upper() if line is not block.time else line for line in head if line]
    out += ["", RULE, "", DISCLAIMER, "", RULE, ""]
    for turn in transcript.turns(lang) if turns is None else turns:
        label = f">> {turn.label}: " if turn.speaker else ">> "
        prefix = f"[{stamp(transcript, turn, clock)}] " if stamps else ""
        out.append(f"{prefix}{label}{turn.text}")
        out.append("")
    return "\n".join(out)
