"""A change to a session's stored log, tried again while other processes move the log on.

Floor and question changes catch up with the stored log inside their write transaction, so one lost race is rare
(an older process appending by number); when it happens, or when the session was started by another process a
moment before this one heard of it, the change is run again from what is stored, a few times at most.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..domain.errors import NotLive
from ..storage.interface import StorageConflict
from .registry import LoadedMeeting, MeetingRegistry

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Runs of one change before a lost race is answered ``conflict``.
TRIES = 5


async def against_other_processes(registry: MeetingRegistry, loaded: LoadedMeeting, session_id: str, log_name: str,
                                  once: Callable[[], Awaitable[T]]) -> T:
    """Run ``once`` (one change of the session's ``log_name`` log) until it stands: again after a lost race, and
    again after reading the session lives when it found the session not live. Raises what the last run raised."""
    for attempt in range(1, TRIES + 1):
        try:
            return await once()
        except StorageConflict:
            if attempt == TRIES:
                raise
            log.info("log moved on in another process: trying again", extra={
                "meeting": loaded.meeting.slug, "session": session_id, "log": log_name, "attempt": attempt})
        except NotLive:
            # Another process may have started the session a moment ago: read its life before refusing.
            if attempt == TRIES or session_id not in await registry.reload_lives(loaded):
                raise
    raise AssertionError("every run returns or raises")
