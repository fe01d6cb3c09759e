"""What the room screen shows next to the captions, as the chair chooses it for a session."""

from __future__ import annotations

from typing import Final

from ..errors import InvalidInput

#: The captions only; the captions and the speaker (card, timer, next speakers); or those and the question on screen.
SHOWS: Final = ("captions", "speaker", "all")
#: What a screen shows until the chair chooses.
DEFAULT_SHOWS: Final = "all"


def screen_shows(value: object) -> str:
    """Check a choice of what the room screen shows."""
    if not isinstance(value, str) or value not in SHOWS:
        raise InvalidInput("The room screen shows the captions only, the captions and the speaker, or the captions, "
                           "the speaker and the question on screen.", field="shows")
    return value
