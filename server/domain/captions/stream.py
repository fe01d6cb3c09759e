"""Live captions: one editable tail and numbered final segments per session and language.

Human CART captioners type into CAT software that streams text, corrections included, as it is typed.
A :class:`CaptionStream` turns that stream into a live tail (shown as a partial line, still editable)
and final :class:`Segment` objects with a gap-free ``seq`` (1, 2, 3, … per session and language).

Rules, in the order a character meets them:

* Backspace (0x08 or 0x7F) deletes the last character of the tail, also across posts because the tail
  persists between them. It never reaches into final text; extra backspaces are ignored.
* A line break finalises the tail. ``\\n``, ``\\r\\n`` and a lone ``\\r`` all count as one line break:
  CAT software uses a bare carriage return for "new line", and an empty line
  adds no segment, so a ``\\r\\n`` pair, even split across posts, counts once. ``\\t`` becomes a
  space; other control characters are dropped.
* ``>>`` (CART's speaker change) finalises the tail and starts a turn (``new_turn=True`` on its first
  segment). ``>> NAME:`` names the speaker; the marker and the name are removed from the text.
* Whitespace after a sentence end (``.``, ``?``, ``!``, ``…``) finalises a tail of at least
  ``sentence_min`` characters, unless the full stop ends a common abbreviation or an initial.
* A tail longer than ``max_length`` is cut at its last word boundary; the partial word stays editable.
* :meth:`CaptionStream.flush` finalises whatever is left; the server calls it after an idle period.

Final text is never changed by backspaces, only by an explicit :meth:`CaptionStream.correct`.
Several captioners share one tail per stream: when another captioner starts sending, the previous
captioner's tail is finalised first and a :class:`CaptionerHandedOver` event is returned.

Leading whitespace of the tail is not kept and final text has its ends trimmed and runs of spaces
collapsed, so whitespace is the one thing that may differ from the captioner's own screen.
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

__all__ = [
    "CaptionStream",
    "Captioner",
    "CaptionerHandedOver",
    "PartialUpdated",
    "Segment",
    "SegmentCorrected",
    "SegmentFinalised",
    "SpeakerContext",
    "clean",
    "final_text",
]

#: Characters CAT software sends for "delete the previous character".
BACKSPACES = frozenset("\x08\x7f")
#: Line separators other than CR/LF that mean "new line".
_OTHER_LINE_BREAKS = frozenset("\x85\u2028\u2029")
_SENTENCE_ENDS = frozenset(".?!…")
#: Closing quotes and brackets that may follow a sentence end ("… end." then a quote).
_CLOSERS = frozenset("\"')]»”’")
#: Where text without spaces (Chinese, Japanese) may be cut when it grows too long.
_CJK_BREAKS = frozenset("、，。！？；：")
_COLONS = frozenset(":：")
#: A full stop after these words does not end a sentence.
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "prof", "st", "no", "vs", "e.g", "i.e", "amb", "h.e", "sr", "jr"})
#: Lowercase words that may appear inside a speaker's name (``>> Mr. de SOUZA:``).
_NAME_PARTICLES = frozenset({"al", "bin", "da", "de", "del", "della", "der", "di", "do", "dos", "du", "el", "ibn",
                             "la", "le", "van", "von", "y"})
_NAME_MAX = 60
_NAME_MAX_WORDS = 6
_BACKSPACE = "\x08"
_SPACES = re.compile(" {2,}")


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


def _ends_sentence(text: str) -> bool:
    """True when ``text`` (without the whitespace just typed) ends a sentence."""
    stripped = text.rstrip("".join(_CLOSERS))
    if not stripped or stripped[-1] not in _SENTENCE_ENDS:
        return False
    if stripped[-1] == ".":
        word = stripped[:-1].rsplit(None, 1)[-1] if stripped[:-1].split() else ""
        if len(word) == 1 or word.lower() in _ABBREVIATIONS:
            return False
    return True


def final_text(text: str) -> str:
    """Final form of a caption line: one line, ends trimmed, runs of spaces collapsed."""
    return _SPACES.sub(" ", text.strip())


class CaptionStream:
    """The captions of one session in one language: the live tail and its final segments."""

    MAX_LENGTH = 120
    SENTENCE_MIN = 40

    def __init__(self, session_id: str, lang: str, *, max_length: int = MAX_LENGTH,
                 sentence_min: int = SENTENCE_MIN) -> None:
        if max_length < 2 or sentence_min < 1:
            raise ValueError("max_length must be at least 2 and sentence_min at least 1")
        self.session_id = session_id
        self.lang = lang
        self.max_length = max_length
        self.sentence_min = sentence_min
        self._last_seq = 0
        self._segments: dict[int, Segment] = {}
        self._tail = ""
        # One (server ms, sender ms) per tail character, so a segment cut from the front of the tail
        # gets the receive time of its own first character, not the time of the post that cut it.
        self._stamps: list[tuple[int, int | None]] = []
        self._reported = ""
        self._captioner: Captioner | None = None
        self._new_turn = False
        self._label_open = False
        self._cart_speaker: str | None = None
        self._cart_intervention: str | int | None = None

    @classmethod
    def restore(cls, session_id: str, lang: str, last_seq: int, tail_text: str, tail_first_ms: int,
                last_captioner: Captioner | None, *, tail_sender_ms: int | None = None,
                segments: Iterable[Segment] = (), max_length: int = MAX_LENGTH,
                sentence_min: int = SENTENCE_MIN) -> CaptionStream:
        """Rebuild a stream from storage.

        :param last_seq: the highest ``seq`` stored; the next segment gets ``last_seq + 1``.
        :param tail_text: the last ``PartialUpdated`` text (the unfinished tail).
        :param tail_first_ms: when the tail's first character was received.
        :param last_captioner: who sent last, so a different sender still causes a handover.
        :param segments: stored segments (latest revision) that :meth:`correct` may change.
        """
        if last_seq < 0:
            raise InvalidInput("last_seq must not be negative", field="last_seq")
        stream = cls(session_id, lang, max_length=max_length, sentence_min=sentence_min)
        stream._last_seq = last_seq
        stream._segments = {s.seq: s for s in segments}
        tail = clean(tail_text).replace(_BACKSPACE, "").replace("\r", " ").replace("\n", " ").lstrip()
        stream._tail = tail
        stream._stamps = [(tail_first_ms, tail_sender_ms)] * len(tail)
        stream._reported = tail
        stream._captioner = last_captioner
        return stream

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the latest final segment (0 before the first)."""
        return self._last_seq

    @property
    def tail(self) -> str:
        """The live, still editable text."""
        return self._tail

    @property
    def tail_first_ms(self) -> int | None:
        """When the tail's first character was received, or ``None`` for an empty tail."""
        return self._stamps[0][0] if self._stamps else None

    @property
    def last_captioner(self) -> Captioner | None:
        """Who sent text last."""
        return self._captioner

    def segment(self, seq: int) -> Segment:
        """The final segment ``seq`` as it is now; raises ``NotFound``."""
        try:
            return self._segments[seq]
        except KeyError:
            raise NotFound(f"no caption segment {seq} in {self.session_id}/{self.lang}", field="seq") from None

    def segments(self) -> list[Segment]:
        """Final segments known to this stream, in ``seq`` order."""
        return [self._segments[k] for k in sorted(self._segments)]

    def append(self, text: str, captioner: Captioner, now: int, *, sender_ms: int | None = None,
               speaker_context: SpeakerContext | None = None) -> list[Event]:
        """Add typed text (backspaces and line breaks included) to the tail; return what happened.

        :param text: new characters exactly as the CAT software sent them.
        :param captioner: who sent them; a change of sender finalises the tail and hands over.
        :param now: server receive time, ms since the epoch (UTC).
        :param sender_ms: the captioner tool's own time for this text, when it sends one.
        :param speaker_context: the floor now; segments finalised by this call carry it.
        """
        _check_text(text)
        typed = clean(text)
        if not typed:
            return []  # a heartbeat or pure noise neither hands over nor changes anything
        out: list[Event] = []
        self._take_over(captioner, now, speaker_context, out)
        for ch in typed:
            self._put(ch, (now, sender_ms), now, speaker_context, out)
        self._report(now, out)
        return out

    def append_line(self, text: str, captioner: Captioner, now: int, *, sender_ms: int | None = None,
                    speaker_context: SpeakerContext | None = None) -> list[Event]:
        """Add one complete caption line (a Zoom or YouTube post): append it and finalise it."""
        _check_text(text)
        if not clean(text).strip():
            return []
        return self.append(text + "\n", captioner, now, sender_ms=sender_ms, speaker_context=speaker_context)

    def set_tail(self, text: str, captioner: Captioner, now: int, *, sender_ms: int | None = None,
                 speaker_context: SpeakerContext | None = None) -> list[Event]:
        """Replace the whole live tail (the captioner page's edit box); line breaks in it finalise lines.

        The returned ``PartialUpdated`` holds the tail as the stream now has it; the page should show
        that, since lines may have been finalised out of its box.
        """
        _check_text(text)
        typed = clean(text)
        if not typed and (self._captioner is None or self._captioner.id != captioner.id):
            return []  # clearing an empty box must not take the stream from the captioner writing now
        out: list[Event] = []
        self._take_over(captioner, now, speaker_context, out)
        # Characters kept from the old tail keep their receive times; the rest are new.
        old_stamps = self._stamps
        kept = _common_prefix(self._tail, typed)
        self._tail, self._stamps = "", []
        for i, ch in enumerate(typed):
            self._put(ch, old_stamps[i] if i < kept else (now, sender_ms), now, speaker_context, out)
        self._report(now, out)
        return out

    def flush(self, now: int, *, speaker_context: SpeakerContext | None = None) -> list[Event]:
        """Finalise the tail (after an idle period); nothing happens when it is empty."""
        out: list[Event] = []
        self._cut(len(self._tail), len(self._tail), now, speaker_context, out)
        self._label_open = False
        self._report(now, out)
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
        if len(text) > 4 * self.max_length:
            raise InvalidInput(f"a corrected line holds at most {4 * self.max_length} characters", field="text")
        if text == old.text:
            return []
        new = dataclasses.replace(old, text=text, revision=old.revision + 1)
        self._segments[seq] = new
        return [SegmentCorrected(self.session_id, self.lang, seq, text, old.text, new.revision, captioner, now)]

    # -- internals ---------------------------------------------------------------------------------

    def _take_over(self, captioner: Captioner, now: int, ctx: SpeakerContext | None, out: list[Event]) -> None:
        """Finalise the previous captioner's tail and record the handover when the sender changes."""
        previous = self._captioner
        if previous is not None and previous.id != captioner.id:
            self._cut(len(self._tail), len(self._tail), now, ctx, out)
            self._label_open = False
            out.append(CaptionerHandedOver(self.session_id, self.lang, previous, captioner, now))
        self._captioner = captioner

    def _put(self, ch: str, stamp: tuple[int, int | None], now: int, ctx: SpeakerContext | None,
             out: list[Event]) -> None:
        """Apply one cleaned character."""
        if ch in "\r\n":
            # The LF of a CR LF pair (even one split across posts) meets an empty tail and adds nothing.
            self._cut(len(self._tail), len(self._tail), now, ctx, out)
            self._label_open = False
            return
        if ch == _BACKSPACE:
            if self._tail:
                self._tail = self._tail[:-1]
                self._stamps.pop()
            return
        if ch == ">" and self._tail.endswith(">"):
            self._tail = self._tail[:-1]
            self._stamps.pop()
            self._cut(len(self._tail), len(self._tail), now, ctx, out)
            self._new_turn = True
            self._cart_speaker = None
            self._label_open = True
            return
        if ch.isspace() and not self._tail:
            return
        self._tail += ch
        self._stamps.append(stamp)
        if self._label_open and self._name_typed(ch, ctx):
            return
        if ch.isspace() and len(self._tail.strip()) >= self.sentence_min and _ends_sentence(self._tail[:-1]):
            self._cut(len(self._tail), len(self._tail), now, ctx, out)
        elif len(self._tail) > self.max_length:
            self._cut_long(now, ctx, out)

    def _name_typed(self, ch: str, ctx: SpeakerContext | None) -> bool:
        """After ``>>``: on a colon, take the tail as the speaker's name if it reads as one."""
        if ch in _COLONS:
            self._label_open = False
            candidate = self._tail[:-1].strip()
            if _is_name(candidate):
                self._cart_speaker = candidate
                self._cart_intervention = ctx.intervention_id if ctx else None
                self._tail, self._stamps = "", []
                return True
        elif len(self._tail) > _NAME_MAX or ch in "?!;,":
            self._label_open = False
        return False

    def _cut_long(self, now: int, ctx: SpeakerContext | None, out: list[Event]) -> None:
        """Cut an over-long tail at its last word boundary (or CJK punctuation, or hard at the limit)."""
        window = self._tail[: self.max_length + 1]
        space = max((i for i, c in enumerate(window) if c.isspace()), default=0)
        if space > 0:
            self._cut(space, space + 1, now, ctx, out)
            return
        mark = max((i for i, c in enumerate(window[: self.max_length]) if c in _CJK_BREAKS), default=-1)
        end = mark + 1 if mark >= 0 else self.max_length
        self._cut(end, end, now, ctx, out)

    def _cut(self, end: int, resume: int, now: int, ctx: SpeakerContext | None, out: list[Event]) -> None:
        """Finalise ``tail[:end]`` as the next segment and keep ``tail[resume:]`` as the tail."""
        text = final_text(self._tail[:end])
        first = self._stamps[0] if self._stamps else (now, None)
        rest = self._tail[resume:]
        skip = resume + len(rest) - len(rest.lstrip())
        self._tail, self._stamps = self._tail[skip:], self._stamps[skip:]
        if not text:
            return
        speaker, intervention_id = self._speaker(ctx)
        assert self._captioner is not None  # text only reaches the tail through append/set_tail/restore
        self._last_seq += 1
        event = SegmentFinalised(self.session_id, self.lang, self._last_seq, text, first[0], now, first[1],
                                 self._captioner, speaker, self._new_turn, intervention_id, 1)
        self._new_turn = False
        self._segments[event.seq] = event.segment()
        out.append(event)

    def _speaker(self, ctx: SpeakerContext | None) -> tuple[str | None, str | int | None]:
        """Speaker and intervention for a segment finalised now: a typed ``>> NAME:`` beats the floor."""
        intervention_id = ctx.intervention_id if ctx else None
        if self._cart_speaker is not None and self._cart_intervention != intervention_id:
            self._cart_speaker = None  # the floor moved on: the typed name belonged to the previous turn
        return self._cart_speaker or (ctx.speaker if ctx else None), intervention_id

    def _report(self, now: int, out: list[Event]) -> None:
        """Add one ``PartialUpdated`` when the tail differs from the last one reported."""
        if self._tail != self._reported:
            self._reported = self._tail
            out.append(PartialUpdated(self.session_id, self.lang, self._tail, self._captioner, now))


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
