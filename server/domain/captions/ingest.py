"""What captioner tools send over HTTP: body decoding, sequence numbers and the three body formats.

Every feed (one captioner link posting one tool convention in one language) numbers its posts with ``seq``; a
:class:`FeedSequence` tells a new post from a retry. Every post continues the feed's live line in a
``CaptionStream`` (``CaptionStream.append``): only a line break, the idle flush or the session's end finalises
it, and backspaces (0x08, 0x7F) edit across posts. Bodies come in three shapes:

* Zoom closed-caption API and StreamText-style pushes: ``text/plain``, the characters typed since the last
  post, line breaks and backspaces included. The decoded body is appended unchanged; a blank post changes
  nothing.
* YouTube HTTP captions: pairs of a timestamp line (``YYYY-MM-DDTHH:MM:SS.mmm``, UTC, optionally a space
  and a region) and a text line. :func:`parse_youtube` returns one :class:`Cue` per pair. A ``<br>`` inside a
  cue (or text wrapped onto a second line) is a display line break of one two-line cue, so it becomes a space;
  a ``<br>`` ending a cue is the captioner's line break. :func:`continued` puts a space between a cue and the
  live line it continues. No cues means a heartbeat.

The HTTP layer maps the ``InvalidInput`` codes raised here to statuses (``seq_required`` → 403, as Zoom
tools expect; ``invalid_format`` → 400).
"""

from __future__ import annotations

import datetime
import hashlib
import re
from typing import Literal, NamedTuple

from ..errors import InvalidInput, InvalidTransition
from ..numbers import whole_number

SeqVerdict = Literal["apply", "duplicate", "gap"]

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
#: The highest ``seq`` a feed may send (a 32-bit signed counter: 13 years of five posts a second).
MAX_SEQ = 2 ** 31 - 1
#: How far ahead of the last accepted ``seq`` a post may jump; further is a corrupted counter, not lost posts,
#: and accepting it would leave every later normal post looking like an old one.
MAX_SEQ_JUMP = 100_000
# A line that starts like a timestamp is one; if it then fails to parse, the body is malformed.
_TIMESTAMP_START = re.compile(r"\d{4}-\d{2}-\d{2}T\d")
_TIMESTAMP = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,6}))?Z?(?:[ \t]+(?P<region>\S.*))?"
)
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_BR_END = re.compile(r"(?:<br\s*/?>\s*)+$", re.IGNORECASE)


class Post(NamedTuple):
    """An accepted feed post as remembered: its ``seq``, text fingerprint (``post_digest``) and time (ms)."""

    seq: int
    digest: str
    at_ms: int


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
    """The ``seq`` query parameter as an int in ``0..MAX_SEQ``; raises ``InvalidInput`` with code ``seq_required``
    when it is missing or not ASCII digits, ``seq_out_of_range`` when it is above ``MAX_SEQ``."""
    digits = (raw or "").strip()
    try:
        whole_number(digits, "seq")
    except InvalidInput:
        raise InvalidInput("a non-negative integer seq parameter is required", code="seq_required",
                           field="seq") from None
    return check_seq(int(digits))


def check_seq(seq: object) -> int:
    """A feed's ``seq`` as sent in JSON: a whole number in ``0..MAX_SEQ``."""
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise InvalidInput("seq must be a non-negative integer", code="seq_required", field="seq")
    if seq > MAX_SEQ:
        raise InvalidInput("seq must be at most {max_seq}", code="seq_out_of_range", field="seq",
                           params={"max_seq": MAX_SEQ})
    return seq


def post_digest(text: str) -> str:
    """A short fingerprint of a post's text, kept with the feed's last ``seq`` to tell a retry from a clash."""
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()[:32]


class FeedSequence:
    """The last accepted ``seq`` of one captioner feed; tells new posts from retries.

    Checking and accepting are separate so that a post that fails after the check (the session is not
    live, storage is down) is not recorded and its retry is applied, not dropped as a duplicate.
    """

    #: A counter back at 0 or 1 after more than this many accepted posts is the tool starting over
    #: (restarted captioning software), not a late retry: retries repeat the latest seq right away.
    RESTART_AFTER = 10

    #: Accepted posts remembered (``seq``, text fingerprint, time) to recognise a retry of one of them.
    RECENT = 8

    def __init__(self, last_seq: int | None = None, recent: tuple[Post, ...] = ()) -> None:
        self._last = last_seq
        self._recent = tuple(recent)[-self.RECENT:]

    @property
    def recent(self) -> tuple[Post, ...]:
        """The last accepted posts, oldest first."""
        return self._recent

    def with_post(self, seq: int, digest: str, at_ms: int) -> tuple[Post, ...]:
        """``recent`` once this post is accepted (what storage keeps with the feed)."""
        return (*self._recent, Post(seq, digest, at_ms))[-self.RECENT:]

    @property
    def last_seq(self) -> int | None:
        """The highest accepted ``seq``, or ``None`` before the first post."""
        return self._last

    def check(self, seq: int) -> SeqVerdict:
        """``apply`` (next in line), ``gap`` (apply, but posts were skipped or the tool restarted) or ``duplicate``.

        Raises ``InvalidInput`` (``seq_out_of_range``) for a ``seq`` above ``MAX_SEQ`` or more than
        ``MAX_SEQ_JUMP`` ahead of the last accepted one.
        """
        check_seq(seq)
        last = self._last
        if last is None:
            return "apply"  # nothing to compare with: a feed may start at any number
        if seq <= last:
            return "gap" if seq <= 1 and last > seq + self.RESTART_AFTER else "duplicate"
        if seq - last > MAX_SEQ_JUMP:
            raise InvalidInput("seq {seq} jumps more than {max_jump} past the last accepted seq {last}",
                               code="seq_out_of_range", field="seq",
                               params={"seq": seq, "max_jump": MAX_SEQ_JUMP, "last": last})
        return "apply" if seq == last + 1 else "gap"

    def repeated_at(self, seq: int, digest: str) -> int | None:
        """For a ``duplicate``: when the original was accepted (ms), if this is the retry of one of the ``RECENT``
        last posts (same ``seq``, same text); raises ``InvalidTransition`` otherwise, so that a post that is not
        stored is never acknowledged.

        ``seq_conflict``: a remembered ``seq`` with other text; ``seq_stale``: an older ``seq``.
        """
        for post in reversed(self._recent):
            if post.seq == seq:
                if post.digest != digest:
                    raise InvalidTransition("seq {seq} was already accepted with other text", code="seq_conflict",
                                            params={"seq": seq})
                return post.at_ms
        if seq == self._last and not self._recent:
            return None  # a feed stored before posts were fingerprinted: its last seq is taken as a retry
        raise InvalidTransition("seq {seq} is behind the last accepted seq {last}", code="seq_stale",
                                params={"seq": seq, "last": self._last})

    def accept(self, seq: int, digest: str = "", at_ms: int = 0) -> None:
        """Record ``seq`` as applied (call after the post's text was applied and stored)."""
        if self.check(seq) == "duplicate":
            raise InvalidInput("seq {seq} was already accepted", code="seq_duplicate", field="seq", params={"seq": seq})
        self._recent = self.with_post(seq, digest, at_ms)
        self._last = seq


def continued(tail: str, text: str) -> str:
    """``text`` as it continues a live line: a space between a cue and the words before it."""
    if tail and not tail[-1].isspace() and text and not text[0].isspace() and text[0] not in "\x08\x7f\r\n":
        return " " + text
    return text


def parse_youtube(body: str) -> list[Cue]:
    """Parse a YouTube caption body into cues; ``[]`` is a heartbeat. Raises ``InvalidInput`` naming the line.

    Text lines after one timestamp (a tool may wrap instead of writing ``<br>``) and ``<br>`` inside a cue join
    with a space; a ``<br>`` at the end of a cue becomes ``\\n``, the line break that finalises the line.
    Blank lines are skipped and a timestamp without text adds no cue.
    """
    cues: list[Cue] = []
    current: int | None = None
    lines: list[str] = []

    def close() -> None:
        if current is not None and lines:
            text = " ".join(lines)
            ends_line = _BR_END.search(text) is not None
            text = " ".join(part.strip() for part in _BR.split(_BR_END.sub("", text)) if part.strip())
            cues.append(Cue(current, text + "\n" if ends_line else text))

    for number, line in enumerate(body.splitlines(), start=1):
        line = line.rstrip()
        if not line.strip():
            continue
        if _TIMESTAMP_START.match(line):
            close()
            current, lines = _timestamp_ms(line, number), []
        elif current is None:
            raise InvalidInput("Line {line}: a timestamp line was expected before caption text.", field="body",
                               params={"line": number})
        else:
            lines.append(line.strip())
    close()
    return cues


def _timestamp_ms(line: str, number: int) -> int:
    """A YouTube timestamp line as ms since the epoch (UTC)."""
    match = _TIMESTAMP.fullmatch(line)
    if match is None:
        raise InvalidInput("Line {line}: malformed timestamp \"{text}\".", field="body",
                           params={"line": number, "text": line[:40]})
    try:
        moment = datetime.datetime.fromisoformat(f"{match['date']}T{match['time']}+00:00")
    except ValueError:
        raise InvalidInput("Line {line}: impossible date or time \"{text}\".", field="body",
                           params={"line": number, "text": line[:40]}) from None
    millis = int((match["frac"] or "0").ljust(3, "0")[:3])
    return (moment - _EPOCH) // datetime.timedelta(milliseconds=1) + millis


def server_time(now: int) -> str:
    """``now`` (ms since the epoch) as ``YYYY-MM-DDTHH:MM:SS.mmm`` UTC, the body Zoom expects in a 200."""
    moment = _EPOCH + datetime.timedelta(milliseconds=now)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{now % 1000:03d}"
