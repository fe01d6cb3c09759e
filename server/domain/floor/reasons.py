"""Why a request stands where it does in the list, or why it was called: a stable code with the English sentence
and its values. The core knows no language: each page says the reason in its reader's language from the code
(``client/web/floor-view.js`` holds the same sentences, marked for translation)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

#: Every reason's English sentence by code; ``{name}`` placeholders take the reason's values.
TEXTS: Mapping[str, str] = {
    "in_order": "in order of request",
    "first_speaker": "first speaker; in order of request",
    "alternates_room": "alternates with the previous room speaker",
    "alternates_remote": "alternates with the previous remote speaker",
    "no_remote_waiting": "no remote speaker waiting; in order of request",
    "no_room_waiting": "no room speaker waiting; in order of request",
    "group_first": "{group} has not spoken yet",
    "group_spoke_last": "{group} spoke last, but no other group is waiting",
    "group_since": "{group} has not spoken since {other}",
    "spoken_already": "has spoken already; in order of request",
    "new_voice": "has not spoken yet in this session",
    "interposed": "interposed question: put to the speaker before the list goes on",
    "point_of_order": "point of order: always taken first",
    "reply_at_end": "right of reply, at the end of the item",
    "reply_next": "right of reply, placed next by the chair",
    "declined": "declined for now; kept their place",
    "placed": "placed by the moderator",
    "moved": "moved by the moderator",
    "moved_because": "moved by the moderator: {reason}",
    "called": "called by the moderator",
}


@dataclasses.dataclass(frozen=True)
class Reason:
    """One reason: its code, its English sentence and the values of its placeholders (names, labels)."""

    code: str
    text: str
    params: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        return self.text.format_map(self.params) if self.params else self.text


def reason(code: str, **params: str) -> Reason:
    """The reason ``code`` with its values; raises ``KeyError`` for a code that is not in ``TEXTS``."""
    return Reason(code, TEXTS[code], dict(params))
