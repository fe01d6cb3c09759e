"""Edited transcript versions, the pure part: a version is the raw lines with each save's edits applied in order.

An edit names a segment (language, seq) and gives its new text and speaker label; :func:`clean_edits` checks what
the editor sent, :func:`apply` rebuilds a version, :func:`diff` compares two versions word by word.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .errors import InvalidInput
from .numbers import whole_number

#: Longest segment text and speaker label the editor accepts.
MAX_TEXT = 5000
MAX_SPEAKER = 200
MAX_EDITS = 5000
#: The highest version number a query may name (versions count saves of one session's transcript).
MAX_VERSION = 10 ** 8
_WORDS = re.compile(r"\s+|[^\s]+")


@dataclasses.dataclass(frozen=True)
class Line:
    """One segment's editable state: its text and speaker label."""

    lang: str
    seq: int
    text: str
    speaker: str | None


Key = tuple[str, int]


def clean_edits(raw: Any, known: Mapping[Key, Line]) -> list[dict[str, Any]]:
    """Check edits sent by the editor and keep those that change something; raises ``InvalidInput``."""
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("edits must be a non-empty list", field="edits")
    if len(raw) > MAX_EDITS:
        raise InvalidInput("At most {max_edits} edits per save.", field="edits", params={"max_edits": MAX_EDITS})
    out: dict[Key, dict[str, Any]] = {}
    for i, edit in enumerate(raw):
        if not isinstance(edit, Mapping):
            raise InvalidInput("Edit {n} must be an object.", field="edits", params={"n": i + 1})
        lang, seq = edit.get("lang"), edit.get("seq")
        if not isinstance(lang, str) or not isinstance(seq, int) or isinstance(seq, bool):
            raise InvalidInput("Edit {n} needs a lang (text) and a seq (integer).", field="edits", params={"n": i + 1})
        line = known.get((lang, seq))
        if line is None:
            raise InvalidInput("Edit {n}: there is no line {seq} in language \"{language}\".", field="edits",
                               params={"n": i + 1, "seq": seq, "language": lang})
        text = edit.get("text", line.text)
        speaker = edit.get("speaker", line.speaker)
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise InvalidInput("Edit {n}: the text must be 1 to {max_length} characters.", field="text",
                               params={"n": i + 1, "max_length": MAX_TEXT})
        if speaker is not None and (not isinstance(speaker, str) or len(speaker) > MAX_SPEAKER):
            raise InvalidInput("Edit {n}: the speaker must be text of at most {max_length} characters.",
                               field="speaker", params={"n": i + 1, "max_length": MAX_SPEAKER})
        text = " ".join(text.split())
        speaker = " ".join(speaker.split()) or None if speaker is not None else None
        if (text, speaker) != (line.text, line.speaker):
            out[(lang, seq)] = {"lang": lang, "seq": seq, "text": text, "speaker": speaker}
    return list(out.values())


def apply(base: Mapping[Key, Line], versions: Iterable[Sequence[Mapping[str, Any]]]) -> dict[Key, Line]:
    """The lines after applying each version's edits in order (edits of unknown segments are ignored)."""
    lines = dict(base)
    for edits in versions:
        for e in edits:
            key = (e["lang"], e["seq"])
            if key in lines:
                lines[key] = Line(e["lang"], e["seq"], e["text"], e["speaker"])
    return lines


def word_diff(before: str, after: str) -> list[dict[str, str]]:
    """Word-level differences as ``{"op": "equal" | "del" | "ins", "text"}`` parts (plain text, not HTML)."""
    a, b = _WORDS.findall(before), _WORDS.findall(after)
    parts: list[dict[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append({"op": "equal", "text": "".join(a[i1:i2])})
            continue
        if i2 > i1:
            parts.append({"op": "del", "text": "".join(a[i1:i2])})
        if j2 > j1:
            parts.append({"op": "ins", "text": "".join(b[j1:j2])})
    return parts


def diff(before: Mapping[Key, Line], after: Mapping[Key, Line]) -> list[dict[str, Any]]:
    """Every segment that differs, in (lang, seq) order, with before/after and word-level parts."""
    out = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new or old is None or new is None:
            continue
        out.append({"lang": key[0], "seq": key[1], "before": {"text": old.text, "speaker": old.speaker},
                    "after": {"text": new.text, "speaker": new.speaker},
                    "speaker_changed": old.speaker != new.speaker, "parts": word_diff(old.text, new.text)})
    return out


def parse_version(raw: str | None) -> int | None:
    """``raw`` → 0, ``latest`` (or nothing) → ``None``, ``N`` → N; raises ``InvalidInput``."""
    if raw in (None, "", "latest"):
        return None
    if raw == "raw":
        return 0
    try:
        return whole_number(raw, "version", high=MAX_VERSION)
    except InvalidInput:
        raise InvalidInput("version must be raw, latest or a version number", field="version") from None
