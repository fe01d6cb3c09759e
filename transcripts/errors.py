"""The one error the library raises for input it cannot use."""

from __future__ import annotations


class TranscriptFormatError(ValueError):
    """The exported record is not a valid Floorcast transcript; ``path`` names the offending field."""

    code = "invalid_format"

    def __init__(self, message: str, path: str = "") -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)
