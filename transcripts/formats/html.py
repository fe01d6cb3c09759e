"""A complete, self-contained HTML page (no script, no external assets) built with autoescaping Jinja2.

Every intervention has one anchor ``id="intervention-N"`` (on its first captioned turn, or on its entry in the
speaker list when it was not captioned) and every segment ``id="seg-N"``, so a summary can link to the record.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import jinja2

from ..model import Intervention, Transcript
from .common import DISCLAIMER, stamp, title_block

KIND_NOTES = MappingProxyType({"point_of_order": "point of order", "right_of_reply": "right of reply",
                               "presentation": "presentation", "interposed_question": "interposed question"})


def environment() -> jinja2.Environment:
    """The Jinja2 environment for the bundled templates, autoescaping everything."""
    return jinja2.Environment(loader=jinja2.PackageLoader("transcripts", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True)


def describe(intervention: Intervention, group_label: str) -> str:
    """Organisation, country, stakeholder group and mode of a speaker, for lists."""
    bits = [intervention.organisation, intervention.country, group_label,
            {"onsite": "", "remote": "remote", "hub": "remote hub"}[intervention.mode]]
    return ", ".join(b for b in bits if b)


def _note(intervention: Intervention) -> str:
    notes = [KIND_NOTES.get(intervention.kind, "")]
    if intervention.on_behalf_of:
        notes.append(f"on behalf of {intervention.on_behalf_of}")
    if intervention.read_by:
        notes.append(f"read by {intervention.read_by}")
    return "; ".join(n for n in notes if n)


def context(transcript: Transcript, lang: str | None, stamps: bool, clock: str) -> dict[str, Any]:
    """The values the page template needs (plain data; escaping is the template's job)."""
    code = transcript.language(lang)
    turns, anchored = [], set()
    for turn in transcript.turns(code):
        anchor = None
        if turn.intervention is not None and turn.intervention.id not in anchored:
            anchor = turn.intervention.id
            anchored.add(anchor)
        turns.append({"anchor": anchor, "label": turn.label, "first_seq": turn.parts[0].segment.seq,
                      "stamp": stamp(transcript, turn, clock) if stamps else "",
                      "parts": [{"id": p.segment.seq if p.first else None, "text": p.text} for p in turn.parts]})
    speakers = [{"id": i.id, "name": i.name, "linked": i.id in anchored, "anchor_here": i.id not in anchored,
                 "details": describe(i, transcript.meeting.group_label(i.group)), "note": _note(i)}
                for i in sorted(transcript.interventions, key=lambda i: (i.start_ms, i.id))]
    return {"lang": code, "block": title_block(transcript), "themes": transcript.session.themes,
            "disclaimer": DISCLAIMER, "speakers": speakers, "turns": turns}


def render(transcript: Transcript, *, lang: str | None = None, stamps: bool = True, clock: str = "relative",
           template: jinja2.Template | None = None, **_: object) -> str:
    """The captions of one language as an HTML page (``template``: an already compiled page template)."""
    template = template or environment().get_template("transcript.html.j2")
    return template.render(**context(transcript, lang, stamps, clock))
