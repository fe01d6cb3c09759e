"""What the document writers share: the title block, the disclaimer and timestamp styles."""

from __future__ import annotations

import dataclasses

from .. import clock
from ..model import Transcript
from ..turns import SpeakerTurn

DISCLAIMER = (
    "This is the output of the real-time captioning taken during the session. Although it is largely accurate, "
    "in some cases it may be incomplete or inaccurate due to inaudible passages or transcription errors. It is "
    "posted as an aid, but should not be treated as an authoritative record."
)
CLOCKS = ("relative", "local")


@dataclasses.dataclass(frozen=True)
class TitleBlock:
    """The lines that open every transcript document."""

    meeting: str
    venue: str
    session: str
    room: str
    date: str  # e.g. "5 November 2012"
    hours: str  # e.g. "10:30-12:00"
    time: str  # e.g. "10:30-12:00 (Asia/Baku)"


def title_block(transcript: Transcript) -> TitleBlock:
    """Meeting, session, room and date in the meeting's time zone."""
    s = transcript.session
    start = transcript.local(s.started_ms if s.started_ms is not None else s.scheduled_start_ms)
    end = transcript.local(s.ended_ms if s.ended_ms is not None else s.scheduled_end_ms)
    return TitleBlock(meeting=transcript.meeting.title, venue=transcript.meeting.venue, session=s.title, room=s.room,
                      date=clock.long_date(start.date()), hours=f"{start:%H:%M}-{end:%H:%M}",
                      time=f"{start:%H:%M}-{end:%H:%M} ({transcript.meeting.timezone})")


def stamp(transcript: Transcript, turn: SpeakerTurn, style: str) -> str:
    """The ``hh:mm:ss`` of a turn: since the session start (``relative``) or on the meeting's clock (``local``)."""
    if style not in CLOCKS:
        raise ValueError(f"unknown clock {style!r}: use one of {', '.join(CLOCKS)}")
    if style == "local":
        return f"{transcript.local(turn.start_ms):%H:%M:%S}"
    return clock.hms(transcript.relative(turn.start_ms))
