"""A complete, self-contained HTML page (no script, no external assets) built with autoescaping Jinja2.

Every intervention has one anchor ``id="intervention-N"`` (on its first captioned turn, or on its entry in the
speaker list when it was not captioned) and every segment ``id="seg-N"``, so a summary can link to the record.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..model import Intervention, Transcript
from ..turns import SpeakerTurn
from .common import DISCLAIMER, stamp, title_block

KIND_NOTES = MappingProxyType({"point_of_order": "point of order", "right_of_reply": "right of reply",
                               "presentation": "presentation", "interposed_question": "interposed question"})
#: The page's only styles, inline so that a saved file is styled too. A server that sends a Content-Security-Policy
#: allows exactly this element with :func:`style_source` instead of allowing inline styles in general.
STYLE = """
body { font: 1rem/1.5 system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
header p { margin: 0.2rem 0; }
.disclaimer { border-left: 4px solid #b35900; padding: 0.5rem 1rem; background: #fff6ec; }
.turn { margin: 1rem 0; }
.speaker { font-weight: bold; }
.stamp { color: #555; font-variant-numeric: tabular-nums; margin-right: 0.5rem; text-decoration: none; }
:target { background: #fff3b0; }
"""


def style_source() -> str:
    """The CSP source that allows the page's ``<style>`` element and nothing else: ``'sha256-…'``."""
    digest = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    return f"'sha256-{digest}'"


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


@functools.cache
def page_template() -> jinja2.Template:
    """The compiled page template (compiled once per process)."""
    return environment().get_template("transcript.html.j2")


def context(transcript: Transcript, lang: str | None, stamps: bool, clock: str,
            built: Sequence[SpeakerTurn] | None = None) -> dict[str, Any]:
    """The values the page template needs (plain data; escaping is the template's job)."""
    code = transcript.language(lang)
    turns, anchored = [], set()
    for turn in transcript.turns(code) if built is None else built:
        anchor = None
        if turn.intervention is not None and turn.intervention.id not in anchored:
            anchor = turn.intervention.id
            anchored.add(anchor)
        # The spoken text of a turn is most of the page: its spans are built here, every character of text escaped,
        # rather than by a template loop per segment.
        spans = "".join(f'<span id="seg-{p.segment.seq}">{escape(p.text)}</span> ' if p.first
                        else f"<span>{escape(p.text)}</span> " for p in turn.parts)
        turns.append({"anchor": anchor, "label": turn.label, "first_seq": turn.parts[0].segment.seq,
                      "stamp": stamp(transcript, turn, clock) if stamps else "", "spans": Markup(spans)})
    speakers = [{"id": i.id, "name": i.name, "linked": i.id in anchored, "anchor_here": i.id not in anchored,
                 "details": describe(i, transcript.meeting.group_label(i.group)), "note": _note(i)}
                for i in sorted(transcript.interventions, key=lambda i: (i.start_ms, i.id))]
    return {"lang": code, "style": Markup(STYLE), "block": title_block(transcript), "themes": transcript.session.themes,
            "disclaimer": DISCLAIMER, "speakers": speakers, "turns": turns}


def render(transcript: Transcript, *, lang: str | None = None, stamps: bool = True, clock: str = "relative",
           template: jinja2.Template | None = None, turns: Sequence[SpeakerTurn] | None = None,
           **_: object) -> str:
    """The captions of one language as an HTML page (``template``: an already compiled page template;
    ``turns``: the language's turns, when already built)."""
    return (template or page_template()).render(**context(transcript, lang, stamps, clock, turns))
