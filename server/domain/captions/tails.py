"""A writer's live tail and the whole of its state as storage keeps it.

Every node (or a restarted process) that resumes a tail from its :class:`TailState` continues the line exactly as
the node that wrote it would have: the receive time of each character, a ``>>`` turn waiting for its first line,
a ``>> NAME:`` still open or already naming the speaker, and the writer's recent final lines for window mode.
"""

from __future__ import annotations

import dataclasses

from .events import Captioner

#: One character's receive times: the server's ms and the sending tool's own ms (``None`` when it sent none).
Stamp = tuple[int, int | None]


@dataclasses.dataclass(frozen=True)
class TailState:
    """One writer's live tail as storage keeps it: enough to resume it on any node.

    The fields after ``last_ms`` were added later: a tail stored without them resumes with every character
    stamped ``first_ms``, no open turn or name, and its recent lines taken from the stream's segments.
    """

    writer: str
    text: str
    first_ms: int | None
    captioner: Captioner
    last_ms: int
    #: One stamp per character of ``text``; empty when not known.
    stamps: tuple[Stamp, ...] = ()
    #: A ``>>`` was typed: the next line starts a turn.
    new_turn: bool = False
    #: A ``>>`` was typed and no colon has closed the name after it yet.
    label_open: bool = False
    #: The speaker named by a typed ``>> NAME:`` and the floor's intervention at that moment.
    speaker: str | None = None
    intervention: str | int | None = None
    #: The writer's latest final lines, oldest first (window mode); ``None`` when not known.
    recent: tuple[str, ...] | None = None


class Tail:
    """The live line of one writer, with what it needs to finalise it."""

    RECENT = 8  # final lines of this writer kept for window mode

    def __init__(self, writer: str, captioner: Captioner) -> None:
        self.writer = writer
        self.captioner = captioner
        self.text = ""
        # One stamp per character, so a segment gets the receive time of its first character.
        self.stamps: list[Stamp] = []
        self.reported = ""
        self.last_ms = 0
        self.new_turn = False
        self.label_open = False
        self.cart_speaker: str | None = None
        self.cart_intervention: str | int | None = None
        self.recent: list[str] = []

    @classmethod
    def resume(cls, stored: TailState, text: str) -> Tail:
        """A tail as ``stored`` left it; ``text`` is its text as the stream keeps text (cleaned, one line)."""
        tail = cls(stored.writer, stored.captioner)
        tail.text, tail.reported, tail.last_ms = text, text, stored.last_ms
        if text == stored.text and len(stored.stamps) == len(text):
            tail.stamps = list(stored.stamps)
        else:
            tail.stamps = [(stored.first_ms if stored.first_ms is not None else stored.last_ms, None)] * len(text)
        tail.new_turn, tail.label_open = stored.new_turn, stored.label_open
        tail.cart_speaker, tail.cart_intervention = stored.speaker, stored.intervention
        tail.recent = list(stored.recent or ())[-cls.RECENT:]
        return tail

    def state(self) -> TailState:
        """Everything needed to resume this tail elsewhere."""
        return TailState(self.writer, self.text, self.stamps[0][0] if self.stamps else None, self.captioner,
                         self.last_ms, tuple(self.stamps), self.new_turn, self.label_open, self.cart_speaker,
                         self.cart_intervention, tuple(self.recent))

    def remember(self, text: str) -> None:
        """Keep a line this writer finalised among its recent ones."""
        self.recent = [*self.recent, text][-self.RECENT:]
