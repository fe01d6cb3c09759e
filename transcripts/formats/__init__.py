"""One writer per output format; each module has ``render(transcript, **options) -> str | bytes``."""

from __future__ import annotations

import importlib
from types import ModuleType

#: Output name -> (module, file extension, binary?)
WRITERS: tuple[tuple[str, str, str, bool], ...] = (
    ("txt", "txt", "txt", False),
    ("vtt", "webvtt", "vtt", False),
    ("srt", "srt", "srt", False),
    ("json", "json", "json", False),
    ("html", "html", "html", False),
    ("docx", "docx", "docx", True),
)


def writer(name: str) -> ModuleType:
    """The writer module for an output name such as ``vtt``; raises ``KeyError`` for an unknown one."""
    for out, module, _ext, _binary in WRITERS:
        if out == name:
            return importlib.import_module(f"{__name__}.{module}")
    raise KeyError(name)
