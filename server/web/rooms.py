"""Socket.IO room names, built in one place."""

from __future__ import annotations


def meeting(meeting_id: int) -> str:
    """Everyone following a meeting (session state changes)."""
    return f"meeting:{meeting_id}"


def session(meeting_id: int, session_id: str) -> str:
    """Everyone in a session (public questions, the floor queue)."""
    return f"meeting:{meeting_id}:{session_id}"


def moderators(meeting_id: int, session_id: str) -> str:
    """The moderators of a session (pending questions, audit detail)."""
    return f"meeting:{meeting_id}:{session_id}:moderators"


def participant(meeting_id: int, participant_id: int) -> str:
    """Every connection of one participant (their own questions' status)."""
    return f"meeting:{meeting_id}:participant:{participant_id}"


def captions(meeting_id: int, session_id: str, lang: str) -> str:
    """Viewers of one caption language of a session."""
    return f"meeting:{meeting_id}:{session_id}:captions:{lang}"


def link(link_id: int) -> str:
    """Every connection opened with one capability link (cut off together when it is revoked)."""
    return f"link:{link_id}"
