"""Speaker turns: consecutive caption segments grouped by who is speaking.

The speaker of a segment comes, in order of trust, from the floor intervention it is attributed to
(``intervention_id``), from the segment's own ``speaker`` field, and otherwise from the CART conventions the
captioner typed: ``>>`` starts a new turn by an unnamed speaker and ``>> NAME:`` names the speaker (the name is
removed from the spoken text). A marker in the middle of a segment splits it across two turns, and the segment's
time span is shared between the pieces in proportion to their length. Sound descriptions such as ``[ Applause ]``
are ordinary text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from .segments import Segment

if TYPE_CHECKING:
    from .people import Intervention

_MARKER = re.compile(r"\s*>>\s*")
# A CART speaker label: up to 60 characters before a colon. Captioners type names in capitals, and requiring
# that keeps sentences such as ">> Thank you: ..." from being read as a speaker called "Thank you".
_LABEL = re.compile(r"([^:<>\n]{1,60}?)\s*:(?:\s+|$)")
_PARENS = re.compile(r"\([^()]*\)")


# Not frozen: a long meeting makes hundreds of thousands of parts, and frozen ones are several times slower to make.
# Treat them as read-only all the same.
@dataclasses.dataclass(slots=True)
class TurnPart:
    """The part of one segment spoken within one turn, with its share of the segment's time span."""

    segment: Segment
    text: str
    start_ms: int
    end_ms: int
    first: bool  # True for the segment's first part: the one that carries its anchor


@dataclasses.dataclass(slots=True)
class SpeakerTurn:
    """One uninterrupted turn by one speaker (``speaker`` is None when the captioner did not name them)."""

    index: int
    speaker: str | None
    intervention: Intervention | None
    parts: list[TurnPart]

    @property
    def start_ms(self) -> int:
        """When the turn's first caption appeared (UTC ms)."""
        return self.parts[0].start_ms

    @property
    def end_ms(self) -> int:
        """When the turn's last caption was final (UTC ms)."""
        return self.parts[-1].end_ms

    @property
    def text(self) -> str:
        """The spoken text of the whole turn."""
        return " ".join(p.text for p in self.parts)

    @property
    def label(self) -> str:
        """The speaker as captioners print it: upper case, or empty when unnamed."""
        return (self.speaker or "").upper()


@dataclasses.dataclass(frozen=True, slots=True)
class _Piece:
    new_turn: bool
    name: str | None
    text: str


def split_markers(text: str) -> list[_Piece]:
    """Cut a segment's text at each ``>>`` marker, reading an optional ``NAME:`` after it."""
    if ">>" not in text:  # most segments: no marker, one piece (the same result as splitting, without the regex)
        stripped = text.strip()
        return [_Piece(False, None, stripped)] if stripped else []
    chunks = _MARKER.split(text)
    pieces = [_Piece(False, None, chunks[0].strip())] if chunks[0].strip() else []
    for chunk in chunks[1:]:
        name, rest = None, chunk
        match = _LABEL.match(chunk)
        if match and _is_label(match.group(1)):
            name, rest = " ".join(match.group(1).split()), chunk[match.end():]
        pieces.append(_Piece(True, name, rest.strip()))
    return pieces


def _is_label(name: str) -> bool:
    """Capitals outside parentheses, so ``MR. SMITH (Kenya)`` is a label but ``Thank you`` is not."""
    bare = _PARENS.sub("", name)
    return any(c.isalpha() for c in bare) and bare == bare.upper()


def build_turns(segments: list[Segment], interventions: Mapping[int, Intervention]) -> list[SpeakerTurn]:
    """Group segments (already in ``seq`` order) into speaker turns."""
    turns: list[SpeakerTurn] = []
    key: tuple[object, ...] | None = None  # ("attributed", intervention id, name) or ("cart", turn count)
    labels: dict[str, str] = {}
    for seg in segments:
        intervention = interventions.get(seg.intervention_id) if seg.intervention_id is not None else None
        attributed = intervention.name if intervention else seg.speaker
        if attributed:
            label = labels.get(attributed)
            if label is None:
                label = labels[attributed] = " ".join(attributed.split())  # a label is one line
            attributed = label
        text = seg.text
        if attributed and ">>" not in text:
            # Most segments: one unmarked piece of an attributed speaker (the general path below, without its
            # pieces and timing).
            new_key: tuple[object, ...] = ("attributed", intervention.id if intervention else None, attributed)
            if new_key != key:
                turns.append(SpeakerTurn(len(turns), attributed, intervention, []))
                key = new_key
            stripped = text.strip()
            if stripped:
                turns[-1].parts.append(TurnPart(seg, stripped, seg.first_ms, seg.final_ms, True))
            continue
        pieces = split_markers(text)
        first = True
        for i, (piece, start, end) in enumerate(_timed(seg, pieces)):
            if attributed and (i == 0 or not piece.new_turn):
                # The floor log is more reliable than a typed label: a leading marker only restates it.
                new_key = ("attributed", intervention.id if intervention else None, attributed)
                if new_key != key:
                    turns.append(SpeakerTurn(len(turns), attributed, intervention, []))
                    key = new_key
            elif piece.new_turn or key is None or key[0] != "cart":
                turns.append(SpeakerTurn(len(turns), piece.name, None, []))
                key = ("cart", len(turns))
            if piece.text:
                turns[-1].parts.append(TurnPart(seg, piece.text, start, end, first))
                first = False
    return list(_renumber(turns))


def _renumber(turns: list[SpeakerTurn]) -> Iterator[SpeakerTurn]:
    """Drop turns that received no text (a bare ``>>`` at the end of the captions) and number the rest."""
    index = 0
    for turn in turns:
        if turn.parts:
            turn.index = index
            index += 1
            yield turn


def _timed(seg: Segment, pieces: list[_Piece]) -> Iterator[tuple[_Piece, int, int]]:
    """Each piece with the slice of the segment's time span proportional to its length."""
    if len(pieces) == 1:
        piece = pieces[0]
        yield piece, seg.first_ms, seg.final_ms if piece.text else seg.first_ms
        return
    total = sum(len(p.text) for p in pieces) or 1
    span = seg.final_ms - seg.first_ms
    done = 0
    for piece in pieces:
        start = seg.first_ms + span * done // total
        done += len(piece.text)
        yield piece, start, seg.first_ms + span * done // total
