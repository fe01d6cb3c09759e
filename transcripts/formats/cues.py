"""Timed subtitle cues shared by the WebVTT and SubRip writers.

Captions are cut into cues of at most two lines of ``LINE_LENGTH`` characters (the broadcast 2 x 42 rule), each
with its share of the segment's time span. Times are made relative to the session start and then made sane:
starts strictly increase, every cue lasts at least a moment, and no cue overlaps the next.

A writer that prints the speaker in the text (SubRip's ``>> NAME:``) passes ``mark``: the mark is wrapped with the
words, so a line that carries it still fits the line length.
"""

from __future__ import annotations

import dataclasses
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
    # Captions are mostly words between single spaces already. Any other whitespace is not printable (str.split's
    # whitespace is Unicode's), so such text is normalised as before.
    single = text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "
    normal = text if single else " ".join(text.split())
    lines: list[str] = []
    start, end = 0, len(normal)
    while end - start > width:
        # Greedy filling: the line ends at the last space that leaves it at most ``width`` characters long.
        cut = normal.rfind(" ", start, start + width + 1)
        if cut < 0:
            return _wrap_long_words(normal.split(" "), width)
        lines.append(normal[start:cut])
        start = cut + 1
    if start < end:
        lines.append(normal[start:])
    return lines


def _wrap_long_words(words: list[str], width: int) -> list[str]:
    """:func:`wrap` for text with a word longer than a line, which is cut into pieces of a line each."""
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


def rows(transcript: Transcript, lang: str | None = None, *, mark: Mark | None = None,
         turns: Sequence[SpeakerTurn] | None = None) -> Iterator[CueRow]:
    """The cues of one language as rows with relative, strictly ordered, non-overlapping times (streamed).

    One loop without a helper per cue, as a long meeting has hundreds of thousands of them.
    """
    ref = transcript.reference_ms
    # The cue before this one, held in locals (not a tuple) until the next start bounds its end.
    held = False
    p_start = p_end = 0
    p_chunk: tuple[str, ...] = ()
    p_speaker: str | None = None
    p_turn = False
    last = -1
    for turn in transcript.turns(lang) if turns is None else turns:
        speaker = turn.speaker
        turn_start = True
        for part in turn.parts:
            lines = wrap(f"{mark(speaker)} {part.text}" if mark is not None and turn_start else part.text)
            if len(lines) <= 2:
                pieces: list[tuple[int, int, tuple[str, ...]]] = [(part.start_ms, part.end_ms, tuple(lines))]
            else:
                # Two lines a cue, each cue with its share of the part's time span by its length.
                pieces = []
                count = len(lines)
                total = sum(map(len, lines)) + count // 2  # a space joins the two lines of a full cue
                first, span = part.start_ms, part.end_ms - part.start_ms
                begin = first
                done = 0
                for i in range(0, count, 2):
                    if i + 1 < count:
                        chunk: tuple[str, ...] = (lines[i], lines[i + 1])
                        done += len(lines[i]) + 1 + len(lines[i + 1])
                    else:
                        chunk = (lines[i],)
                        done += len(lines[i])
                    end = first + span * done // total
                    pieces.append((begin, end, chunk))
                    begin = end
            for begin, end, chunk in pieces:
                # Captions typed before the official start (sound checks) are pulled to 00:00:00.000 and then
                # spaced one millisecond apart, since WebVTT readers drop or reorder cues that share a start time.
                start = begin - ref
                if start <= last:
                    start = last + 1
                if held:
                    yield p_start, p_end if p_end < start else start, p_chunk, p_speaker, p_turn
                end -= ref
                held = True
                p_start, p_chunk, p_speaker, p_turn = start, chunk, speaker, turn_start
                p_end = end if end > start + MIN_DURATION_MS else start + MIN_DURATION_MS
                last = start
                turn_start = False
    if held:
        yield p_start, p_end, p_chunk, p_speaker, p_turn


def cues(transcript: Transcript, lang: str | None = None, *, mark: Mark | None = None) -> list[Cue]:
    """The cues of one language with relative, strictly ordered, non-overlapping times."""
    return [Cue(*row) for row in rows(transcript, lang, mark=mark)]


def timestamp(ms: int, separator: str) -> str:
    """``HH:MM:SS`` plus ``separator`` and milliseconds (WebVTT ``.``, SubRip ``,``) for a non-negative time."""
    seconds, milli = divmod(ms, 1000) if ms > 0 else (0, 0)
    try:
        return _HMS[seconds] + _MILLI[separator][milli]
    except IndexError:
        _HMS.extend(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(len(_HMS), seconds + 3600))
        return _HMS[seconds] + _MILLI[separator][milli]


def stamp_tables(separator: str) -> tuple[list[str], list[str]]:
    """The lookup tables behind :func:`timestamp` (``HH:MM:SS`` by second, ``.mmm`` by millisecond), for a writer
    that looks stamps up in its loop and falls back to :func:`timestamp` on an ``IndexError``."""
    return _HMS, _MILLI[separator]


# A long meeting writes a million timestamps: each second and each millisecond is formatted once, then looked up.
# The first hours are formatted up front, so most sessions never leave the fast path.
_HMS: list[str] = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(6 * 3600)]
_MILLI = {sep: [f"{sep}{m:03d}" for m in range(1000)] for sep in (".", ",")}
