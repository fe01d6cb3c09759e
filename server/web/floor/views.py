"""What each audience sees of a session's floor: the chair's full view, the public view, a participant's own."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from ...domain.floor.models import Part
from ...domain.floor.policies import POLICIES
from ...domain.floor.queue import FloorQueue
from ...domain.meetings.models import countries
from ..registry import LoadedMeeting

#: What the public view leaves out of a request: who asked (participant id) and the chair's bookkeeping.
_PRIVATE = ("participant_id", "moves", "declines", "called_from", "seq", "pin_reason")


@functools.cache
def country_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code to English name (read once: the list never changes while serving)."""
    return dict(countries())


def card(row: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, Any]:
    """A person row with the labels a card shows: group label and country name."""
    return {**row, "group_label": labels.get(row["group"], row["group"]),
            "country_name": country_names().get(row.get("country") or "", row.get("country") or "")}


def moderator_view(loaded: LoadedMeeting, session_id: str, queue: FloorQueue, seq: int, now: int) -> dict[str, Any]:
    """Everything the chair sees: the live view with reasons, who spoke so far, and the options."""
    labels = loaded.group_labels()
    view = queue.view(now)
    return {
        **view,
        "seq": seq, "session_id": session_id, "now_ms": now,
        "warn_fraction": queue.warn_fraction, "warn_last_s": queue.warn_last_s,
        "current": None if view["current"] is None else card(view["current"], labels),
        "paused": None if view["paused"] is None else card(view["paused"], labels),
        "queue": [card(row, labels) for row in view["queue"]],
        "interventions": [card(dict(i.as_dict()), labels) for i in queue.interventions],
        "policies": [{"key": k, "label": cls.label} for k, cls in POLICIES.items()],
        "parts": [p.value for p in Part],
        "groups": [{"slug": g.slug, "label": g.label} for g in loaded.meeting.groups],
    }


def public_view(loaded: LoadedMeeting, session_id: str, queue: FloorQueue, seq: int, now: int) -> dict[str, Any]:
    """What everyone sees: the speaker, the timer and the list in order, without participant ids."""
    labels = loaded.group_labels()
    view = queue.view(now)

    def strip(row: Mapping[str, Any]) -> dict[str, Any]:
        return card({k: v for k, v in row.items() if k not in _PRIVATE}, labels)

    return {
        **view,
        "seq": seq, "session_id": session_id, "now_ms": now,
        "warn_fraction": queue.warn_fraction, "warn_last_s": queue.warn_last_s,
        "current": None if view["current"] is None else strip(view["current"]),
        "paused": None if view["paused"] is None else strip(view["paused"]),
        "queue": [strip(row) for row in view["queue"]],
        # Who has spoken, so a participant can name the intervention a right of reply answers.
        "spoken": [{"id": i.id, "name": i.person["name"], "organisation": i.person["organisation"],
                    "group_label": labels.get(i.person["group"], i.person["group"]), "start_ms": i.start_ms,
                    "end_ms": i.end_ms} for i in queue.interventions],
    }


def mine(queue: FloorQueue, participant_id: int | None) -> list[str]:
    """The ids of every request a participant made in this session."""
    if participant_id is None:
        return []
    return [r.id for r in queue.requests if r.participant_id == participant_id]
