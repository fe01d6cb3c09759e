"""A Word document for the rapporteur to edit: headings, the disclaimer, bold speaker labels and timestamps."""

from __future__ import annotations

import io
import re
import zipfile

import docx
from docx.shared import Pt, RGBColor

from ..model import Transcript
from .common import DISCLAIMER, stamp, title_block
from .html import describe

GREY = RGBColor(0x59, 0x59, 0x59)
# XML 1.0 forbids most control characters; python-docx raises on them, and captions can carry stray ones.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Text without the control characters a Word document cannot hold."""
    return _NOT_XML.sub("", text)


def new_document(title: str) -> docx.document.Document:
    """An empty document with the title set in its properties and a readable body font."""
    document = docx.Document()
    document.core_properties.title = xml_safe(title)[:255]
    document.styles["Normal"].font.size = Pt(11)
    return document


def save(document: docx.document.Document) -> bytes:
    """The document as ``.docx`` bytes, identical for identical content."""
    buffer = io.BytesIO()
    document.save(buffer)
    # python-docx stamps each part with the current time; a fixed one makes exports reproducible.
    fixed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, \
            zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0)), src.read(item),
                         compress_type=zipfile.ZIP_DEFLATED)
    return fixed.getvalue()


def render(transcript: Transcript, *, lang: str | None = None, stamps: bool = True, clock: str = "relative",
           **_: object) -> bytes:
    """The captions of one language as a ``.docx`` file."""
    block = title_block(transcript)
    document = new_document(f"{block.session} - {block.meeting}")
    document.add_heading(xml_safe(block.session), level=0)
    document.add_paragraph(xml_safe(", ".join(x for x in (block.meeting, block.venue) if x)))
    document.add_paragraph(xml_safe(", ".join(x for x in (block.room, block.date, block.time) if x)))
    disclaimer = document.add_paragraph()
    disclaimer.add_run(DISCLAIMER).italic = True

    if transcript.interventions:
        document.add_heading("Speakers", level=1)
        for i in sorted(transcript.interventions, key=lambda i: (i.start_ms, i.id)):
            item = document.add_paragraph(style="List Number")
            item.add_run(xml_safe(i.name)).bold = True
            details = describe(i, transcript.meeting.group_label(i.group))
            if details:
                item.add_run(xml_safe(f" ({details})"))

    document.add_heading("Transcript", level=1)
    for turn in transcript.turns(lang):
        paragraph = document.add_paragraph()
        if stamps:
            run = paragraph.add_run(f"[{stamp(transcript, turn, clock)}] ")
            run.font.color.rgb = GREY
        paragraph.add_run(xml_safe(f">> {turn.label}:") if turn.speaker else ">>").bold = True
        paragraph.add_run(" " + xml_safe(turn.text))
    return save(document)
