"""The live state of each meeting, held in memory and loaded from storage on first use."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

from ..domain.errors import InvalidInput
from ..domain.meetings.models import Meeting, SessionLife
from ..storage import meetings as meetings_db
from ..storage.db import Database


def now_ms() -> int:
    """The wall clock in UTC milliseconds: the one place the service reads time."""
    return time.time_ns() // 1_000_000


@dataclasses.dataclass
class MeetingLive:
    """One meeting's in-memory state: its agenda and each session's life, plus per-feature state."""

    id: int
    meeting: Meeting
    lives: dict[str, SessionLife]
    #: Per-feature state keyed by feature then session id (caption streams, question boards, floor queues).
    features: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    #: Serialises state changes of one meeting so that "mutate, persist, emit" is never interleaved.
    lock: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)

    def life(self, session_id: str) -> SessionLife:
        """The life of one agenda session; raises ``NotFound``."""
        self.meeting.session(session_id)
        return self.lives[session_id]

    def language(self, raw: str | None) -> str:
        """A caption language of this meeting (its first when none is asked); raises ``InvalidInput``."""
        if not raw:
            return self.meeting.default_language
        if raw not in self.meeting.languages:
            raise InvalidInput(f"no caption language {raw!r} in this meeting", code="unknown_language", field="lang")
        return raw


class Registry:
    """Loads each meeting's live state once and keeps it; reloads after the meeting file changes."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._meetings: dict[str, MeetingLive] = {}
        self._lock = asyncio.Lock()

    async def get(self, slug: str) -> MeetingLive:
        """The live state of a meeting; raises ``NotFound``."""
        live = self._meetings.get(slug)
        if live is not None:
            return live
        async with self._lock:
            live = self._meetings.get(slug)
            if live is None:
                meeting_id, meeting = await meetings_db.load_meeting(self.db, slug)
                lives = await meetings_db.load_session_lives(self.db, meeting_id, meeting)
                live = MeetingLive(meeting_id, meeting, lives)
                self._meetings[slug] = live
            return live

    async def refresh(self, slug: str) -> None:
        """Re-read a loaded meeting's agenda after its file was loaded again, keeping live feature state."""
        live = self._meetings.get(slug)
        if live is None:
            return
        meeting_id, meeting = await meetings_db.load_meeting(self.db, slug)
        lives = await meetings_db.load_session_lives(self.db, meeting_id, meeting)
        live.meeting = meeting
        live.lives = lives

    def loaded(self) -> list[MeetingLive]:
        """The meetings loaded so far."""
        return list(self._meetings.values())
