"""Live captions: a live tail per writer and numbered final segments per session and language.

Human CART captioners type into CAT software that streams text, corrections included, as it is typed.
A :class:`CaptionStream` turns that stream into live tails (shown as partial lines, still editable) and final
:class:`Segment` objects with a gap-free ``seq`` (1, 2, 3, … per session and language).

Each *writer* (a captioner feed: one link posting from one tool, or the captioner page) has its own tail, so two
captioners writing at once never cut each other's lines. Segments are numbered in the order they are finalised.

Rules, in the order a character meets them:

* Backspace (0x08 or 0x7F) deletes the last character of the writer's tail, also across posts because the tail
  persists between them. It never reaches into final text; extra backspaces are ignored.
* A line break finalises the tail: the stored segment is exactly the line the captioner finished.
  ``\\n``, ``\\r\\n`` and a lone ``\\r`` all count as one line break: CAT software uses a bare carriage return for
  "new line", and an empty line adds no segment, so a ``\\r\\n`` pair, even split across posts, counts once.
  ``\\t`` becomes a space; other control characters are dropped.
* ``>>`` (CART's speaker change) finalises the tail and starts a turn (``new_turn=True`` on its first
  segment). ``>> NAME:`` names the speaker; the marker and the name are removed from the text.
* Nothing else finalises text: not a sentence end, not the line's length (wrapping is the display's business).
  :meth:`CaptionStream.flush` finalises what is left (the server calls it after an idle period and when the
  session ends), :meth:`CaptionStream.flush_idle` only the tails nobody typed into for a while.

Window mode (:meth:`CaptionStream.append` with ``window=True``) is for tools that re-send the last lines of
their window with every post: the post's leading complete lines that equal the writer's most recent final lines
are dropped (the longest such run), then the writer's live tail when the next line starts with it, and the rest
is applied as usual. A line the captioner really repeats right after itself is dropped in this mode; that is
why it is a choice per feed, never a guess.

Final text is never changed by backspaces, only by an explicit :meth:`CaptionStream.correct`. When text comes
from another captioner than the last one, a :class:`CaptionerHandedOver` event is returned; a handover is a
change of who writes, not a line break.

A stream holds only its latest ``KEEP_SEGMENTS`` final segments, so a live session's memory stays flat however
long it runs: enough for the current turn, window mode's recent lines and taking back a recent change. To correct
an older line, its holder reads it from storage and hands it over with :meth:`CaptionStream.recall` first.

Leading whitespace of a tail is not kept and final text has its ends trimmed and runs of spaces collapsed,
so whitespace is the one thing that may differ from the captioner's own screen.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable

from ..errors import InvalidInput, NotFound
from ..events import Event
from .events import (
    Captioner,
    CaptionerHandedOver,
    PartialUpdated,
    Segment,
    SegmentCorrected,
    SegmentFinalised,
)
from .tails import Tail, TailState

__all__ = [
    "KEEP_SEGMENTS",
    "CaptionStream",
    "Captioner",
    "CaptionerHandedOver",
    "PartialUpdated",
    "Segment",
    "SegmentCorrected",
    "SegmentFinalised",
    "SpeakerContext",
    "TailState",
    "clean",
    "final_text",
    "turn_lead",
    "window_new_part",
]

#: Characters CAT software sends for "delete the previous character".
BACKSPACES = frozenset("\x08\x7f")
#: Line separators other than CR/LF that mean "new line".
_OTHER_LINE_BREAKS = frozenset("\x85\u2028\u2029")
_COLONS = frozenset(":：")
#: Lowercase words that may appear inside a speaker's name (``>> Mr. de SOUZA:``).
_NAME_PARTICLES = frozenset({"al", "bin", "da", "de", "del", "della", "der", "di", "do", "dos", "du", "el", "ibn",
                             "la", "le", "van", "von", "y"})
_NAME_MAX = 60
_NAME_MAX_WORDS = 6
_BACKSPACE = "\x08"
_SPACES = re.compile(" {2,}")
#: The longest corrected line accepted.
MAX_CORRECTION = 480
#: How many of the latest final segments a stream holds in memory (older ones are read back to be corrected).
KEEP_SEGMENTS = 200


@dataclasses.dataclass(frozen=True)
class SpeakerContext:
    """The floor at one moment: the running intervention and its speaker's name."""

    intervention_id: str | int | None
    speaker: str | None


def clean(text: str) -> str:
    """Keep what a caption can hold: tabs become spaces, line breaks and backspaces stay, other controls go."""
    out: list[str] = []
    for ch in text:
        if ch == "\t":
            out.append(" ")
        elif ch in BACKSPACES:
            out.append(_BACKSPACE)
        elif ch in "\r\n":
            out.append(ch)
        elif ch in _OTHER_LINE_BREAKS:
            out.append("\n")
        elif unicodedata.category(ch) != "Cc":
            out.append(ch)
    return "".join(out)


def _is_name(candidate: str) -> bool:
    """True when the text between ``>>`` and a colon reads as a speaker's name, not as a sentence."""
    words = candidate.split()
    if not words or len(candidate) > _NAME_MAX or len(words) > _NAME_MAX_WORDS:
        return False
    if any(ch in "?!;,\"" for ch in candidate) or not any(ch.isalpha() for ch in candidate):
        return False
    # "Thank you: …" is a sentence; "ANRIETTE ESTERHUYSEN", "Ms. Esterhuysen", "Mr. de SOUZA" are names.
    return all(not w[0].islower() or w in _NAME_PARTICLES for w in words)


def turn_lead(speaker: str | None, new_turn: bool) -> str:
    """What text outputs show before a line: ``NAME: `` on the first line of a named speaker's turn."""
    return f"{speaker}: " if new_turn and speaker else ""


def final_text(text: str) -> str:
    """Final form of a caption line: one line, ends trimmed, runs of spaces collapsed."""
    return _SPACES.sub(" ", text.strip())


class CaptionStream:
    """The captions of one session in one language: the writers' live tails and the final segments."""

    def __init__(self, session_id: str, lang: str) -> None:
        self.session_id = session_id
        self.lang = lang
        self._last_seq = 0
        self._segments: dict[int, Segment] = {}
        self._tails: dict[str, Tail] = {}
        self._captioner: Captioner | None = None
        self._last_turn: tuple[str | None, str | int | None] | None = None

    @classmethod
    def restore(cls, session_id: str, lang: str, last_seq: int, tails: Iterable[TailState] = (),
                last_captioner: Captioner | None = None, *, segments: Iterable[Segment] = ()) -> CaptionStream:
        """Rebuild a stream from storage.

        :param last_seq: the highest ``seq`` stored; the next segment gets ``last_seq + 1``.
        :param tails: every writer's stored tail (see :class:`TailState`).
        :param last_captioner: who sent last, so a different sender still causes a handover.
        :param segments: stored segments (latest revision) that :meth:`correct` may change; they also give the
            current turn, and the recent lines (window mode) of a tail stored without them. Only the latest
            ``KEEP_SEGMENTS`` are kept, so only those need to be read.
        """
        stream = cls(session_id, lang)
        stream.catch_up(last_seq, tails, last_captioner, segments=segments)
        return stream

    def catch_up(self, last_seq: int, tails: Iterable[TailState], last_captioner: Captioner | None, *,
                 segments: Iterable[Segment] = ()) -> None:
        """Take on what another writer of the same store (another node) has stored since this copy was made.

        :param last_seq: the highest ``seq`` stored now.
        :param tails: every writer's tail as stored now; they replace this copy's tails.
        :param last_captioner: who sent last, as stored now.
        :param segments: the segments added or corrected since this copy was made (all of them when restoring);
            those older than the latest ``KEEP_SEGMENTS`` are not kept, so they need not be read.
        """
        if last_seq < 0:
            raise InvalidInput("last_seq must not be negative", field="last_seq")
        for segment in segments:
            self._segments[segment.seq] = segment
        for seq in range(last_seq + 1, self._last_seq + 1):  # never stored: a change that was not kept
            self._segments.pop(seq, None)
        latest = self._segments.get(last_seq)
        self._last_turn = None if latest is None else (latest.speaker, latest.intervention_id)
        self._last_seq = last_seq
        self._trim()
        self._tails = {}
        legacy: set[str] = set()
        for stored in tails:
            text = clean(stored.text).replace(_BACKSPACE, "").replace("\r", " ").replace("\n", " ").lstrip()
            self._tails[stored.writer] = Tail.resume(stored, text)
            if stored.recent is None:
                legacy.add(stored.writer)
        if legacy:  # tails stored without their recent lines: take them from the segments
            for segment in self.segments():
                writer = segment.writer or segment.captioner.id
                if writer in legacy:
                    self._tails[writer].remember(segment.text)
        self._captioner = last_captioner

    def revert(self, events: Iterable[Event]) -> None:
        """Take back what ``events`` (returned by this stream, never stored) did to the final segments: lines they
        finalised are dropped and corrected lines get their previous text back. The tails are left as they are:
        :meth:`catch_up` replaces them with the stored ones, which is what must follow."""
        for event in reversed(list(events)):
            if isinstance(event, SegmentFinalised):
                self._segments.pop(event.seq, None)
                self._last_seq = min(self._last_seq, event.seq - 1)
            elif isinstance(event, SegmentCorrected) and event.seq in self._segments:
                self._segments[event.seq] = dataclasses.replace(self._segments[event.seq], text=event.previous_text,
                                                                revision=event.revision - 1)

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the latest final segment (0 before the first)."""
        return self._last_seq

    @property
    def tail(self) -> str:
        """The live text of every writer, oldest first, as one line (one writer: exactly its tail)."""
        return " ".join(t.text for t in self._live())

    @property
    def tail_first_ms(self) -> int | None:
        """When the oldest live tail's first character was received, or ``None`` when nothing is live."""
        live = self._live()
        return live[0].stamps[0][0] if live else None

    def tail_of(self, writer: str) -> str:
        """One writer's live text (``""`` when it has none)."""
        held = self._tails.get(writer)
        return held.text if held else ""

    def tails(self) -> list[TailState]:
        """Every writer's tail (empty ones included), for storage."""
        return [t.state() for t in self._tails.values()]

    def live_tails(self) -> list[TailState]:
        """The tails holding text, oldest first."""
        return [t.state() for t in self._live()]

    @property
    def last_captioner(self) -> Captioner | None:
        """Who sent text last."""
        return self._captioner

    def segment(self, seq: int) -> Segment:
        """The final segment ``seq`` as it is now; raises ``NotFound``."""
        try:
            return self._segments[seq]
        except KeyError:
            raise NotFound("There is no caption line {seq} in {language}.", field="seq",
                           params={"seq": seq, "language": self.lang}) from None

    def segments(self) -> list[Segment]:
        """Final segments this stream holds (the latest ``KEEP_SEGMENTS``), in ``seq`` order."""
        return [self._segments[k] for k in sorted(self._segments)]

    def holds(self, seq: int) -> bool:
        """True when final segment ``seq`` is in memory (a :meth:`correct` of it needs no :meth:`recall`)."""
        return seq in self._segments

    def recall(self, segment: Segment) -> None:
        """Take back a stored final segment older than the ones held, so :meth:`correct` can change it.

        It stays until the next change of the stream (a correction, a new line, a catch-up) trims the stream to
        its latest ``KEEP_SEGMENTS`` again. A segment this stream never finalised is refused.
        """
        if not 1 <= segment.seq <= self._last_seq:
            raise InvalidInput("There is no caption line {seq} in {language}.", field="seq",
                               params={"seq": segment.seq, "language": self.lang})
        self._segments.setdefault(segment.seq, segment)

    def append(self, text: str, captioner: Captioner, now: int, *, sender_ms: int | None = None,
               speaker_context: SpeakerContext | None = None, writer: str | None = None,
               window: bool = False) -> list[Event]:
        """Add typed text (backspaces and line breaks included) to the writer's tail; return what happened.

        :param text: new characters exactly as the CAT software sent them.
        :param captioner: who sent them; a change of sender is reported as a handover.
        :param now: server receive time, ms since the epoch (UTC).
        :param sender_ms: the captioner tool's own time for this text, when it sends one.
        :param speaker_context: the floor now; segments finalised by this call carry it.
        :param writer: whose tail this continues (a captioner feed); the captioner's id by default.
        :param window: the post re-sends the end of the tool's window (see the module docstring).
        """
        _check_text(text)
        tail = self._tails.get(writer or captioner.id)
        if window and tail is not None:
            text = window_new_part(text, tail.recent, tail.text)
        typed = clean(text)
        if not typed:
            return []  # a heartbeat or pure noise neither hands over nor changes anything
        out: list[Event] = []
        tail = self._take_over(writer or captioner.id, captioner, now, out)
        for ch in typed:
            self._put(tail, ch, (now, sender_ms), now, speaker_context, out)
        self._report(tail, now, out)
        return out

    def set_tail(self, text: str, captioner: Captioner, now: int, *, sender_ms: int | None = None,
                 speaker_context: SpeakerContext | None = None, writer: str | None = None) -> list[Event]:
        """Replace the writer's whole live tail (the captioner page's edit box); line breaks in it finalise lines.

        The returned ``PartialUpdated`` holds the tail as the stream now has it; the page should show
        that, since lines may have been finalised out of its box.
        """
        _check_text(text)
        typed = clean(text)
        held = self._tails.get(writer or captioner.id)
        if not typed and (held is None or not held.text):
            return []  # clearing an empty box changes nothing and hands nothing over
        out: list[Event] = []
        tail = self._take_over(writer or captioner.id, captioner, now, out)
        # Characters kept from the old tail keep their receive times; the rest are new.
        old_stamps = tail.stamps
        kept = _common_prefix(tail.text, typed)
        tail.text, tail.stamps = "", []
        for i, ch in enumerate(typed):
            self._put(tail, ch, old_stamps[i] if i < kept else (now, sender_ms), now, speaker_context, out)
        self._report(tail, now, out)
        return out

    def flush(self, now: int, *, speaker_context: SpeakerContext | None = None,
              writer: str | None = None) -> list[Event]:
        """Finalise one writer's tail, or every live tail oldest first; nothing happens when they are empty."""
        out: list[Event] = []
        chosen = [self._tails[writer]] if writer is not None and writer in self._tails else \
            ([] if writer is not None else self._live())
        for tail in chosen:
            self._finalise(tail, now, speaker_context, out)
            tail.label_open = False
            self._report(tail, now, out)
        return out

    def flush_idle(self, now: int, idle_ms: int, *, speaker_context: SpeakerContext | None = None) -> list[Event]:
        """Finalise the tails nobody typed into for ``idle_ms`` or more, oldest first."""
        out: list[Event] = []
        for tail in self._live():
            if now - tail.last_ms >= idle_ms:
                out += self.flush(now, speaker_context=speaker_context, writer=tail.writer)
        return out

    def correct(self, seq: int, new_text: str, captioner: Captioner, now: int) -> list[Event]:
        """Replace the text of final segment ``seq``; its revision goes up by one.

        Line breaks in ``new_text`` become spaces and its backspaces are applied to it. A correction to
        empty text withdraws the line. Correcting to the current text changes nothing and returns ``[]``.
        """
        _check_text(new_text)
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise InvalidInput("seq must be an integer", field="seq")
        old = self.segment(seq)
        text = final_text(_apply_backspaces(clean(new_text).replace("\r", " ").replace("\n", " ")))
        if len(text) > MAX_CORRECTION:
            raise InvalidInput("A corrected line holds at most {max_length} characters.", field="text",
                               params={"max_length": MAX_CORRECTION})
        if text == old.text:
            self._trim()
            return []
        new = dataclasses.replace(old, text=text, revision=old.revision + 1)
        self._segments[seq] = new
        self._trim()
        return [SegmentCorrected(self.session_id, self.lang, seq, text, old.text, new.revision, captioner, now)]

    # -- internals ---------------------------------------------------------------------------------

    def _trim(self) -> None:
        """Let go of the segments older than the latest ``KEEP_SEGMENTS``."""
        oldest = self._last_seq - KEEP_SEGMENTS
        for seq in [k for k in self._segments if k <= oldest]:
            del self._segments[seq]

    def _live(self) -> list[Tail]:
        return sorted((t for t in self._tails.values() if t.text), key=lambda t: t.stamps[0][0])

    def _take_over(self, writer: str, captioner: Captioner, now: int, out: list[Event]) -> Tail:
        """The writer's tail; records a handover when another captioner than the last one writes."""
        previous = self._captioner
        if previous is not None and previous.id != captioner.id:
            out.append(CaptionerHandedOver(self.session_id, self.lang, previous, captioner, now))
        self._captioner = captioner
        tail = self._tails.get(writer)
        if tail is None:
            tail = self._tails[writer] = Tail(writer, captioner)
        tail.captioner = captioner
        tail.last_ms = now
        return tail

    def _put(self, tail: Tail, ch: str, stamp: tuple[int, int | None], now: int, ctx: SpeakerContext | None,
             out: list[Event]) -> None:
        """Apply one cleaned character to a writer's tail."""
        if ch in "\r\n":
            # The LF of a CR LF pair (even one split across posts) meets an empty tail and adds nothing.
            self._finalise(tail, now, ctx, out)
            tail.label_open = False
            return
        if ch == _BACKSPACE:
            if tail.text:
                tail.text = tail.text[:-1]
                tail.stamps.pop()
            return
        if ch == ">" and tail.text.endswith(">"):
            tail.text = tail.text[:-1]
            tail.stamps.pop()
            self._finalise(tail, now, ctx, out)
            tail.new_turn = True
            tail.cart_speaker = None
            tail.label_open = True
            return
        if ch.isspace() and not tail.text:
            return
        tail.text += ch
        tail.stamps.append(stamp)
        if tail.label_open:
            self._name_typed(tail, ch, ctx)

    def _name_typed(self, tail: Tail, ch: str, ctx: SpeakerContext | None) -> None:
        """After ``>>``: on a colon, take the tail as the speaker's name if it reads as one."""
        if ch in _COLONS:
            tail.label_open = False
            candidate = tail.text[:-1].strip()
            if _is_name(candidate):
                tail.cart_speaker = candidate
                tail.cart_intervention = ctx.intervention_id if ctx else None
                tail.text, tail.stamps = "", []
        elif len(tail.text) > _NAME_MAX or ch in "?!;,":
            tail.label_open = False

    def _finalise(self, tail: Tail, now: int, ctx: SpeakerContext | None, out: list[Event]) -> None:
        """Finalise the writer's tail as the next segment (an empty tail adds none)."""
        text = final_text(tail.text)
        first = tail.stamps[0] if tail.stamps else (now, None)
        tail.text, tail.stamps = "", []
        if not text:
            return
        speaker, intervention_id = self._speaker(tail, ctx)
        turn = tail.new_turn or (speaker is not None and (speaker, intervention_id) != self._last_turn)
        self._last_turn = (speaker, intervention_id)
        self._last_seq += 1
        writer = None if tail.writer == tail.captioner.id else tail.writer
        event = SegmentFinalised(self.session_id, self.lang, self._last_seq, text, first[0], now, first[1],
                                 tail.captioner, speaker, turn, intervention_id, 1, writer)
        tail.new_turn = False
        tail.remember(text)
        self._segments[event.seq] = event.segment()
        self._trim()
        out.append(event)

    def _speaker(self, tail: Tail, ctx: SpeakerContext | None) -> tuple[str | None, str | int | None]:
        """Speaker and intervention for a segment finalised now: a typed ``>> NAME:`` beats the floor."""
        intervention_id = ctx.intervention_id if ctx else None
        if tail.cart_speaker is not None and tail.cart_intervention != intervention_id:
            tail.cart_speaker = None  # the floor moved on: the typed name belonged to the previous turn
        return tail.cart_speaker or (ctx.speaker if ctx else None), intervention_id

    def _report(self, tail: Tail, now: int, out: list[Event]) -> None:
        """Add one ``PartialUpdated`` when the writer's tail differs from the last one reported."""
        if tail.text != tail.reported:
            tail.reported = tail.text
            out.append(PartialUpdated(self.session_id, self.lang, tail.text, tail.captioner, now))


def window_new_part(post: str, recent: list[str], tail: str) -> str:
    """What a re-sent window adds: ``post`` without its leading lines equal to ``recent`` finals and the tail.

    :param recent: the writer's latest final lines, oldest first.
    :param tail: the writer's live tail; a window re-sends it as the start of its next line.
    """
    lines = clean(post).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    complete = [final_text(_apply_backspaces(line)) for line in lines[:-1]]
    skip = 0
    for m in range(min(len(complete), len(recent)), 0, -1):
        if complete[:m] == recent[-m:]:
            skip = m  # the longest run wins, so a re-sent line followed by its genuine repeat keeps the repeat
            break
    rest = "\n".join(lines[skip:])
    stripped = rest.lstrip(" ")
    if tail and stripped.startswith(tail):
        rest = stripped[len(tail):]
    return rest


def _check_text(text: object) -> None:
    """Refuse caption text that is not a string before anything changes."""
    if not isinstance(text, str):
        raise InvalidInput("caption text must be a string", field="text")


def _common_prefix(a: str, b: str) -> int:
    """Length of the common start of two strings."""
    n = 0
    for x, y in zip(a, b, strict=False):  # strings of different lengths
        if x != y:
            break
        n += 1
    return n


def _apply_backspaces(text: str) -> str:
    """Apply backspaces within one piece of text."""
    out: list[str] = []
    for ch in text:
        if ch == _BACKSPACE:
            if out:
                out.pop()
        else:
            out.append(ch)
    return "".join(out)
