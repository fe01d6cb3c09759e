"""The transcript as JSON: the export format itself (it reads back with ``Transcript.from_dict``) plus resolved
speaker turns with relative times under ``derived``, which readers of the export format ignore.

Written with orjson, which serialises the record's slotted dataclasses directly (indented by two spaces).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from ..model import Transcript
from ..turns import SpeakerTurn


def derived(transcript: Transcript, lang: str | None = None,
            built: Mapping[str, Sequence[SpeakerTurn]] | None = None) -> dict[str, Any]:
    """Speaker turns of each language (or of ``lang``) with relative and absolute times (``built``: turns by
    language, when already built)."""
    langs = [transcript.language(lang)] if lang else transcript.languages()
    ref = transcript.reference_ms
    turns: dict[str, list[dict[str, Any]]] = {}
    for code in langs:
        found = (built or {}).get(code)
        turns[code] = [
            {"index": t.index, "speaker": t.speaker,
             "intervention_id": t.intervention.id if t.intervention else None,
             "start_ms": t.start_ms, "end_ms": t.end_ms,
             "start_rel_ms": t.start_ms - ref, "end_rel_ms": t.end_ms - ref,
             "segments": sorted({p.segment.seq for p in t.parts}), "text": t.text}
            for t in (transcript.turns(code) if found is None else found)
        ]
    return {"reference_ms": ref, "timezone": transcript.meeting.timezone, "turns": turns}


def render(transcript: Transcript, *, lang: str | None = None,
           turns_by_lang: Mapping[str, Sequence[SpeakerTurn]] | None = None, **_: object) -> str:
    """Every segment (all languages unless ``lang`` is given) with times, speaker, language and revision."""
    return render_bytes(transcript, lang=lang, turns_by_lang=turns_by_lang).decode()


def render_bytes(transcript: Transcript, *, lang: str | None = None,
                 turns_by_lang: Mapping[str, Sequence[SpeakerTurn]] | None = None) -> bytes:
    """:func:`render` as UTF-8 bytes."""
    segments: Sequence[Any] = transcript.segments
    if lang:
        code = transcript.language(lang)
        segments = [s for s in segments if s.lang == code]
    # The export format as ``to_dict`` writes it, but the segments (nearly all of it) are left as slotted
    # dataclasses, which orjson writes field by field in declaration order, far faster than ``plain`` makes dicts.
    data = dataclasses.replace(transcript, segments=()).to_dict()
    data["segments"] = segments
    data["derived"] = derived(transcript, lang, turns_by_lang)
    return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"
