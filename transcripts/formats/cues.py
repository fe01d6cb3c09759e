"""Timed subtitle cues shared by the WebVTT and SubRip writers.

Captions are cut into cues of at most two lines of ``LINE_LENGTH`` characters (the broadcast 2 x 42 rule), each
with its share of the segment's time span. Times are made relative to the session start and then made sane:
starts strictly increase, every cue lasts at least a moment, and no cue overlaps the next.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from ..model import Transcript

LINE_LENGTH = 42
MIN_DURATION_MS = 1200


@dataclasses.dataclass(frozen=True, slots=True)
class Cue:
    """One subtitle cue; times in milliseconds since the session start."""

    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    speaker: str | None
    turn_start: bool  # first cue of a speaker turn


def wrap(text: str, width: int = LINE_LENGTH) -> list[str]:
    """Break text into lines of at most ``width`` characters, splitting only words longer than a line."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while len(word) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if not word:
            continue
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines


def _raw_cues(transcript: Transcript, lang: str | None) -> Iterator[Cue]:
    for turn in transcript.turns(lang):
        turn_start = True
        for part in turn.parts:
            lines = wrap(part.text)
            chunks = [tuple(lines[i:i + 2]) for i in range(0, len(lines), 2)]
            total = sum(len(" ".join(c)) for c in chunks) or 1
            span = part.end_ms - part.start_ms
            done = 0
            for chunk in chunks:
                start = part.start_ms + span * done // total
                done += len(" ".join(chunk))
                end = part.start_ms + span * done // total
                yield Cue(start, end, chunk, turn.speaker, turn_start)
                turn_start = False


def cues(transcript: Transcript, lang: str | None = None) -> list[Cue]:
    """The cues of one language with relative, strictly ordered, non-overlapping times."""
    ref = transcript.reference_ms
    raw = list(_raw_cues(transcript, lang))
    starts: list[int] = []
    for cue in raw:
        # Captions typed before the official start (sound checks) are pulled to 00:00:00.000 and then spaced
        # one millisecond apart, since WebVTT readers drop or reorder cues that share a start time.
        start = max(cue.start_ms - ref, 0)
        starts.append(max(start, starts[-1] + 1) if starts else start)
    out: list[Cue] = []
    for i, cue in enumerate(raw):
        end = max(cue.end_ms - ref, starts[i] + MIN_DURATION_MS)
        if i + 1 < len(raw):
            end = min(end, starts[i + 1])
        out.append(dataclasses.replace(cue, start_ms=starts[i], end_ms=end))
    return out
