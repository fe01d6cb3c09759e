"""What captioner tools send over HTTP: body decoding, sequence numbers and the three body formats.

Every feed (one captioner link) numbers its posts with ``seq``; a :class:`FeedSequence` tells a new
post from a retry. Bodies come in three shapes, each ending up in a ``CaptionStream``:

* Zoom closed-caption API: ``text/plain``, one caption per post. Zoom shows each post as a caption that
  replaces the previous one, so a post is one complete line: :func:`zoom_line` gives the text and the
  caller passes it to ``CaptionStream.append_line`` (append, then finalise). A blank post is ignored.
* YouTube HTTP captions: pairs of a timestamp line (``YYYY-MM-DDTHH:MM:SS.mmm``, UTC, optionally a space
  and a region) and a text line, where ``<br>`` is a line break. :func:`parse_youtube` returns one
  :class:`Cue` per pair; the caller appends each with ``append_line(text, sender_ms=cue.sender_ms)``,
  so a segment keeps both the sender's time and the server's receive time. No cues means a heartbeat.
* Continuation pushes (StreamText style): each body is everything typed since the last successful post,
  backspaces and line breaks included. The decoded body goes to ``CaptionStream.append`` unchanged.

The HTTP layer maps the ``InvalidInput`` codes raised here to statuses (``seq_required`` → 403, as Zoom
tools expect; ``invalid_format`` → 400).
"""

from __future__ import annotations

import datetime
import re
from typing import Literal, NamedTuple

from ..errors import InvalidInput

SeqVerdict = Literal["apply", "duplicate", "gap"]

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_SEQ = re.compile(r"[0-9]{1,18}")
# A line that starts like a timestamp is one; if it then fails to parse, the body is malformed.
_TIMESTAMP_START = re.compile(r"\d{4}-\d{2}-\d{2}T\d")
_TIMESTAMP = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,6}))?Z?(?:[ \t]+(?P<region>\S.*))?"
)
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


class Cue(NamedTuple):
    """One YouTube caption: the sender's time (ms since the epoch, UTC) and its text."""

    sender_ms: int
    text: str


def decode_body(raw: bytes) -> str:
    """Decode a body as UTF-8 whatever its Content-Type says, dropping a byte-order mark.

    Invalid bytes become U+FFFD instead of refusing the post: a captioner cannot resend text already
    typed, and one wrong character is better than a lost line.
    """
    text = raw.decode("utf-8", errors="replace")
    return text[1:] if text.startswith("\ufeff") else text


def parse_seq(raw: str | None) -> int:
    """The ``seq`` query parameter as an int ≥ 0; raises ``InvalidInput`` with code ``seq_required``."""
    if raw is None or not _SEQ.fullmatch(raw.strip()):
        raise InvalidInput("a non-negative integer seq parameter is required", code="seq_required", field="seq")
    return int(raw.strip())


class FeedSequence:
    """The last accepted ``seq`` of one captioner feed; tells new posts from retries.

    Checking and accepting are separate so that a post that fails after the check (the session is not
    live, storage is down) is not recorded and its retry is applied, not dropped as a duplicate.
    """

    #: A counter back at 0 or 1 after more than this many accepted posts is the tool starting over
    #: (restarted captioning software), not a late retry: retries repeat the latest seq right away.
    RESTART_AFTER = 10

    def __init__(self, last_seq: int | None = None) -> None:
        self._last = last_seq

    @property
    def last_seq(self) -> int | None:
        """The highest accepted ``seq``, or ``None`` before the first post."""
        return self._last

    def check(self, seq: int) -> SeqVerdict:
        """``apply`` (next in line), ``gap`` (apply, but posts were skipped or the tool restarted) or ``duplicate``."""
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            raise InvalidInput("seq must be a non-negative integer", code="seq_required", field="seq")
        last = self._last
        if last is None:
            return "apply"  # nothing to compare with: a feed may start at any number
        if seq <= last:
            return "gap" if seq <= 1 and last > seq + self.RESTART_AFTER else "duplicate"
        return "apply" if seq == last + 1 else "gap"

    def accept(self, seq: int) -> None:
        """Record ``seq`` as applied (call after the post's text was applied and stored)."""
        if self.check(seq) == "duplicate":
            raise InvalidInput(f"seq {seq} was already accepted", code="seq_duplicate", field="seq")
        self._last = seq


def zoom_line(body: str) -> str | None:
    """The caption line of a Zoom post without its line ending, or ``None`` for a blank post."""
    line = body.rstrip("\r\n")
    return line if line.strip() else None


def parse_youtube(body: str) -> list[Cue]:
    """Parse a YouTube caption body into cues; ``[]`` is a heartbeat. Raises ``InvalidInput`` naming the line.

    Text lines after one timestamp (a tool may wrap instead of writing ``<br>``) join with line breaks;
    blank lines are skipped and a timestamp without text adds no cue.
    """
    cues: list[Cue] = []
    current: int | None = None
    lines: list[str] = []

    def close() -> None:
        if current is not None and lines:
            cues.append(Cue(current, "\n".join(lines)))

    for number, line in enumerate(body.splitlines(), start=1):
        line = line.rstrip()
        if not line.strip():
            continue
        if _TIMESTAMP_START.match(line):
            close()
            current, lines = _timestamp_ms(line, number), []
        elif current is None:
            raise InvalidInput(f"line {number}: expected a timestamp line before caption text", field="body")
        else:
            lines.append(_BR.sub("\n", line))
    close()
    return cues


def _timestamp_ms(line: str, number: int) -> int:
    """A YouTube timestamp line as ms since the epoch (UTC)."""
    match = _TIMESTAMP.fullmatch(line)
    if match is None:
        raise InvalidInput(f"line {number}: malformed timestamp {line[:40]!r}", field="body")
    try:
        moment = datetime.datetime.fromisoformat(f"{match['date']}T{match['time']}+00:00")
    except ValueError:
        raise InvalidInput(f"line {number}: impossible date or time {line[:40]!r}", field="body") from None
    millis = int((match["frac"] or "0").ljust(3, "0")[:3])
    return (moment - _EPOCH) // datetime.timedelta(milliseconds=1) + millis


def server_time(now: int) -> str:
    """``now`` (ms since the epoch) as ``YYYY-MM-DDTHH:MM:SS.mmm`` UTC, the body Zoom expects in a 200."""
    moment = _EPOCH + datetime.timedelta(milliseconds=now)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{now % 1000:03d}"
