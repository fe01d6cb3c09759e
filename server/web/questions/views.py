"""What each audience sees of a session's questions (wire forms)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ...domain.questions.board import QuestionBoard
from ...domain.questions.models import BoardSettings, Question, public_view


def own_view(question: Question, labels: Mapping[str, str]) -> dict[str, Any]:
    """What an author sees of their question: the public view plus its status details and why it was dismissed."""
    last = question.handoffs[-1]["how"] if question.handoffs else None
    return {**public_view(question, labels), "mine": True, "show_name": question.show_name,
            "dismiss_reason": question.dismiss_reason.value if question.dismiss_reason else None,
            "dismiss_note": question.dismiss_note, "merged_into": question.merged_into, "handed_to_floor": last}


def viewer_listing(board: QuestionBoard, labels: Mapping[str, str], participant_id: int | None) -> list[dict[str, Any]]:
    """Every question one participant (or anonymous viewer) may see, newest first, their own in full."""
    out = []
    for q in board.listing(participant_id, False, sort="newest"):
        mine = participant_id is not None and participant_id in q.author_ids()
        out.append(own_view(q, labels) if mine else public_view(q, labels))
    return out


def public_counts(board: QuestionBoard) -> dict[str, Any]:
    """The transparency figures of a session's questions."""
    return {"session_id": board.session_id, **board.counts()}


def settings_view(settings: BoardSettings) -> dict[str, Any]:
    """The board settings as sent to moderators."""
    return dataclasses.asdict(settings)
