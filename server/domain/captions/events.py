"""Caption events and the values they carry, with their plain-dict form for storage.

A :class:`~server.domain.captions.CaptionStream` returns these; ``payload()`` gives the JSON-ready dict
(a captioner becomes ``{"id", "label"}``).
"""

from __future__ import annotations

import dataclasses

from ..events import Event


@dataclasses.dataclass(frozen=True)
class Captioner:
    """Who sends captions: a stable id (the captioner link) and the label the moderator sees."""

    id: str
    label: str


@dataclasses.dataclass(frozen=True)
class Segment:
    """One final caption line as the transcript keeps it (latest text and its revision)."""

    seq: int
    text: str
    first_ms: int
    final_ms: int
    sender_ms: int | None
    captioner: Captioner
    speaker: str | None
    new_turn: bool
    intervention_id: str | int | None
    revision: int = 1
    #: The feed that wrote it when that is not the captioner's own id (one link may post from several tools).
    writer: str | None = None


@dataclasses.dataclass(frozen=True)
class PartialUpdated(Event):
    """A writer's live tail changed; ``text`` is that whole tail now (``""`` once it was finalised)."""

    name = "caption_partial"
    session_id: str
    lang: str
    text: str
    captioner: Captioner | None
    at_ms: int


@dataclasses.dataclass(frozen=True)
class SegmentFinalised(Event):
    """A caption line became final; viewers replace their partial line with it.

    ``new_turn`` is true on the first line of a turn: after a typed ``>>`` or when the speaker (or the
    floor's intervention) differs from the previous line's; viewers show ``speaker`` there.
    """

    name = "caption_segment"
    session_id: str
    lang: str
    seq: int
    text: str
    first_ms: int
    final_ms: int
    sender_ms: int | None
    captioner: Captioner
    speaker: str | None
    new_turn: bool
    intervention_id: str | int | None
    revision: int
    writer: str | None = None

    def segment(self) -> Segment:
        """The segment this event created."""
        return Segment(self.seq, self.text, self.first_ms, self.final_ms, self.sender_ms, self.captioner,
                       self.speaker, self.new_turn, self.intervention_id, self.revision, self.writer)


@dataclasses.dataclass(frozen=True)
class SegmentCorrected(Event):
    """A captioner corrected a final line; viewers replace its text, the transcript keeps the latest."""

    name = "caption_corrected"
    session_id: str
    lang: str
    seq: int
    text: str
    previous_text: str
    revision: int
    captioner: Captioner
    at_ms: int


@dataclasses.dataclass(frozen=True)
class CaptionerHandedOver(Event):
    """Another captioner took over the stream."""

    name = "captioner_handed_over"
    session_id: str
    lang: str
    from_captioner: Captioner
    to_captioner: Captioner
    at_ms: int

