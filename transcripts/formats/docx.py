"""A Word document for the rapporteur to edit: headings, the disclaimer, bold speaker labels and timestamps."""

from __future__ import annotations

import gc
import re
from collections.abc import Sequence

import docx
from docx.shared import Pt, RGBColor

from .. import clock
from ..model import Transcript
from ..turns import SpeakerTurn
from . import wordml
from .common import DISCLAIMER, stamp, title_block
from .html import describe

GREY = RGBColor(0x59, 0x59, 0x59)
# XML 1.0 forbids most control characters; python-docx raises on them, and captions can carry stray ones.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Text without the control characters a Word document cannot hold."""
    return _NOT_XML.sub("", text)


def new_document(title: str, *, author: str = "", made_ms: int = 0) -> docx.document.Document:
    """An empty document with its title, author and time (UTC ms) in its properties and a readable body font."""
    document = docx.Document()
    made = clock.utc(made_ms).replace(tzinfo=None, microsecond=0)
    wordml.set_core(document, title=xml_safe(title), author=xml_safe(author), when=made)
    document.styles["Normal"].font.size = Pt(11)
    return document


def save(document: docx.document.Document) -> bytes:
    """The document as ``.docx`` bytes, identical for identical content; pass a document nothing else refers to."""
    data = wordml.save(document)
    # python-docx's parts refer to each other, and most of a document's memory is libxml2's, which the collector
    # does not count: left to itself it lets dozens of finished documents pile up. The document's objects are young,
    # so collecting the young generations frees it without walking the rest of the heap.
    del document
    gc.collect(1)
    return data


def author(transcript: Transcript) -> str:
    """Who a document is by: the meeting's secretariat, else the meeting."""
    return transcript.meeting.secretariat or transcript.meeting.title


def render(transcript: Transcript, *, lang: str | None = None, stamps: bool = True, clock: str = "relative",
           turns: Sequence[SpeakerTurn] | None = None, **_: object) -> bytes:
    """The captions of one language as a ``.docx`` file (``turns``: the language's turns, when already built)."""
    return save(_document(transcript, lang, stamps, clock, turns))  # nothing else refers to the document


def _document(transcript: Transcript, lang: str | None, stamps: bool, clock: str,
              turns: Sequence[SpeakerTurn] | None) -> docx.document.Document:
    block = title_block(transcript)
    document = new_document(f"{block.session} - {block.meeting}", author=author(transcript),
                            made_ms=transcript.made_ms)
    document.add_heading(xml_safe(block.session), level=0)
    document.add_paragraph(xml_safe(", ".join(x for x in (block.meeting, block.venue) if x)))
    document.add_paragraph(xml_safe(", ".join(x for x in (block.room, block.date, block.time) if x)))
    disclaimer = document.add_paragraph()
    disclaimer.add_run(DISCLAIMER).italic = True

    if transcript.interventions:
        document.add_heading("Speakers", level=1)
        numbered = document.styles["List Number"].style_id
        for i in sorted(transcript.interventions, key=lambda i: (i.start_ms, i.id)):
            item = document.add_paragraph()
            wordml.set_style(item, numbered)
            wordml.add_run(item, xml_safe(i.name), bold=True)
            details = describe(i, transcript.meeting.group_label(i.group))
            if details:
                wordml.add_run(item, xml_safe(f" ({details})"))

    document.add_heading("Transcript", level=1)
    for turn in transcript.turns(lang) if turns is None else turns:
        paragraph = document.add_paragraph()
        if stamps:
            wordml.add_run(paragraph, f"[{stamp(transcript, turn, clock)}] ").font.color.rgb = GREY
        wordml.add_run(paragraph, xml_safe(f">> {turn.label}:") if turn.speaker else ">>", bold=True)
        wordml.add_run(paragraph, " " + xml_safe(turn.text))
    return document
