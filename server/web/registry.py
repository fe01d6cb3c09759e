"""Each meeting's agenda and session lives, loaded from storage on first use and kept while serving."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from ..clock import now_ms
from ..domain.errors import InvalidInput
from ..domain.meetings.models import Meeting, SessionLife
from ..storage import meetings as meetings_db
from ..storage.interface import Database


def session_state(life: SessionLife, now: int) -> dict[str, Any]:
    """The wire form of a session's state."""
    return {"session_id": life.session.id, "state": life.effective_state(now).value,
            "started_ms": life.started_ms, "ended_ms": life.ended_ms}


@dataclasses.dataclass
class LoadedMeeting:
    """One meeting as this process holds it: its agenda and the life (scheduled, live, ended) of each session."""

    id: int
    meeting: Meeting
    lives: dict[str, SessionLife]
    #: Serialises changes of one meeting (session life, questions, the floor) so that "mutate, persist, emit"
    #: is never interleaved.
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
            raise InvalidInput("This meeting has no caption language \"{language}\".", code="unknown_language",
                               field="lang", params={"language": raw})
        return raw

    def states(self) -> dict[str, dict[str, Any]]:
        """The wire state of every session, by session id."""
        now = now_ms()
        return {session_id: session_state(life, now) for session_id, life in self.lives.items()}

    def group_labels(self) -> dict[str, str]:
        """Stakeholder group slug to label."""
        return {g.slug: g.label for g in self.meeting.groups}


class MeetingRegistry:
    """Loads each meeting once and keeps it; re-reads its agenda after the meeting file changes."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._meetings: dict[str, LoadedMeeting] = {}
        self._lock = asyncio.Lock()

    async def get(self, slug: str) -> LoadedMeeting:
        """The loaded meeting; raises ``NotFound``."""
        found = self._meetings.get(slug)
        if found is not None:
            return found
        async with self._lock:
            found = self._meetings.get(slug)
            if found is None:
                meeting_id, meeting = await meetings_db.load_meeting(self.db, slug)
                lives = await meetings_db.load_session_lives(self.db, meeting_id, meeting)
                found = self._meetings[slug] = LoadedMeeting(meeting_id, meeting, lives)
            return found

    async def refresh(self, slug: str) -> None:
        """Re-read a loaded meeting's agenda after its file was loaded again, keeping everything else."""
        found = self._meetings.get(slug)
        if found is None:
            return
        meeting_id, meeting = await meetings_db.load_meeting(self.db, slug)
        found.lives = await meetings_db.load_session_lives(self.db, meeting_id, meeting)
        found.meeting = meeting

    def loaded(self) -> list[LoadedMeeting]:
        """The meetings loaded so far."""
        return list(self._meetings.values())

    def loaded_by_id(self, meeting_id: int) -> LoadedMeeting | None:
        """The loaded meeting with this id (None: this process has not loaded it, so holds nothing of it)."""
        return next((found for found in self._meetings.values() if found.id == meeting_id), None)

    async def reload_lives(self, loaded: LoadedMeeting) -> list[str]:
        """Read the meeting's session lives again (another process may have started or ended a session) and update
        this process's copies in place, so whoever holds one sees the change; returns the sessions that changed.
        Do not call it holding the meeting's lock."""
        async with loaded.lock:
            stored = await meetings_db.load_session_lives(self.db, loaded.id, loaded.meeting)
            changed = []
            for session_id, fresh in stored.items():
                mine = loaded.lives.get(session_id)
                if mine is None:
                    loaded.lives[session_id] = fresh
                elif mine.changes != fresh.changes:
                    mine.state, mine.started_ms, mine.ended_ms = fresh.state, fresh.started_ms, fresh.ended_ms
                    mine.changes = fresh.changes
                    changed.append(session_id)
            return changed
