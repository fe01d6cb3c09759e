"""Timed subtitle cues shared by the WebVTT and SubRip writers.

Captions are cut into cues of at most two lines of ``LINE_LENGTH`` characters (the broadcast 2 x 42 rule), each
with its share of the segment's time span. Times are made relative to the session start and then made sane:
starts strictly increase, every cue lasts at least a moment, and no cue overlaps the next.

A writer that prints the speaker in the text (SubRip's ``>> NAME:``) passes ``mark``: the mark is wrapped with the
words, so a line that carries it still fits the line length.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterator, Sequence

from ..model import Transcript
from ..turns import SpeakerTurn

LINE_LENGTH = 42
MIN_DURATION_MS = 1200

#: ``(start_ms, end_ms, lines, speaker, turn_start)``: a cue as the writers consume it (no object per cue).
CueRow = tuple[int, int, tuple[str, ...], "str | None", bool]
Mark = Callable[["str | None"], str]


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
    words = text.split()
    normal = " ".join(words)
    if not _long_word(width).search(normal):
        # Greedy filling is "the longest run of whole words that fits", which one regex finds per line.
        return _line(width).findall(normal)
    lines: list[str] = []
    line = ""
    for word in words:
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


@functools.cache
def _line(width: int) -> re.Pattern[str]:
    return re.compile(rf"(\S.{{0,{width - 1}}})(?: |$)")


@functools.cache
def _long_word(width: int) -> re.Pattern[str]:
    return re.compile(rf"\S{{{width + 1}}}")


def _raw_cues(turns: Sequence[SpeakerTurn], mark: Mark | None) -> Iterator[CueRow]:
    for turn in turns:
        turn_start = True
        for part in turn.parts:
            text = f"{mark(turn.speaker)} {part.text}" if mark is not None and turn_start else part.text
            lines = wrap(text)
            if len(lines) <= 2:
                yield part.start_ms, part.end_ms, tuple(lines), turn.speaker, turn_start
                turn_start = False
                continue
            chunks = [tuple(lines[i:i + 2]) for i in range(0, len(lines), 2)]
            sizes = [len(" ".join(c)) for c in chunks]
            total = sum(sizes) or 1
            span = part.end_ms - part.start_ms
            done = 0
            for chunk, size in zip(chunks, sizes, strict=True):
                start = part.start_ms + span * done // total
                done += size
                yield start, part.start_ms + span * done // total, chunk, turn.speaker, turn_start
                turn_start = False


def rows(transcript: Transcript, lang: str | None = None, *, mark: Mark | None = None,
         turns: Sequence[SpeakerTurn] | None = None) -> Iterator[CueRow]:
    """The cues of one language as rows with relative, strictly ordered, non-overlapping times (streamed)."""
    ref = transcript.reference_ms
    previous: CueRow | None = None
    last_start = -1
    for start, end, lines, speaker, turn_start in _raw_cues(transcript.turns(lang) if turns is None else turns,
                                                            mark):
        # Captions typed before the official start (sound checks) are pulled to 00:00:00.000 and then spaced
        # one millisecond apart, since WebVTT readers drop or reorder cues that share a start time.
        start = max(start - ref, 0, last_start + 1) if last_start >= 0 else max(start - ref, 0)
        if previous is not None:
            yield previous[0], min(previous[1], start), previous[2], previous[3], previous[4]
        previous = (start, max(end - ref, start + MIN_DURATION_MS), lines, speaker, turn_start)
        last_start = start
    if previous is not None:
        yield previous


def cues(transcript: Transcript, lang: str | None = None, *, mark: Mark | None = None) -> list[Cue]:
    """The cues of one language with relative, strictly ordered, non-overlapping times."""
    return [Cue(*row) for row in rows(transcript, lang, mark=mark)]


def timestamp(ms: int, separator: str) -> str:
    """``HH:MM:SS`` plus ``separator`` and milliseconds (WebVTT ``.``, SubRip ``,``) for a non-negative time."""
    seconds, milli = divmod(max(ms, 0), 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{milli:03d}"
