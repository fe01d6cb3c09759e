"""The transcript as JSON: the export format itself (it reads back with ``Transcript.from_dict``) plus resolved
speaker turns with relative times under ``derived``, which readers of the export format ignore."""

from __future__ import annotations

import json as _json
from typing import Any

from ..model import Transcript


def derived(transcript: Transcript, lang: str | None = None) -> dict[str, Any]:
    """Speaker turns of each language (or of ``lang``) with relative and absolute times."""
    langs = [transcript.language(lang)] if lang else transcript.languages()
    turns: dict[str, list[dict[str, Any]]] = {}
    for code in langs:
        turns[code] = [
            {"index": t.index, "speaker": t.speaker,
             "intervention_id": t.intervention.id if t.intervention else None,
             "start_ms": t.start_ms, "end_ms": t.end_ms,
             "start_rel_ms": transcript.relative(t.start_ms), "end_rel_ms": transcript.relative(t.end_ms),
             "segments": sorted({p.segment.seq for p in t.parts}), "text": t.text}
            for t in transcript.turns(code)
        ]
    return {"reference_ms": transcript.reference_ms, "timezone": transcript.meeting.timezone, "turns": turns}


def render(transcript: Transcript, *, lang: str | None = None, indent: int | None = 1, **_: object) -> str:
    """Every segment (all languages unless ``lang`` is given) with times, speaker, language and revision."""
    data = transcript.to_dict()
    if lang:
        code = transcript.language(lang)
        data["segments"] = [s for s in data["segments"] if s["lang"] == code]
    data["derived"] = derived(transcript, lang)
    return _json.dumps(data, ensure_ascii=False, indent=indent) + "\n"
