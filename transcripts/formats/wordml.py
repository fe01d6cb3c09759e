"""The python-docx internals the Word writers lean on for speed and reproducibility, kept in one place.

python-docx sets a run's text one character at a time (to turn tabs and line breaks into elements) and looks a
paragraph style up by name across every style of the document each time. For a transcript of thousands of
paragraphs that is most of the time spent, so text without tabs or line breaks goes straight into a ``<w:t>`` and
a style is resolved once and its id set on each paragraph. ``save`` writes the package's parts as python-docx
does, but with a fixed time on each zip entry (python-docx stamps the current time), in one pass.
Written for python-docx 1.1 and 1.2 (pinned in ``pyproject.toml``); importing this module fails at once if those
internals are gone.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
import zipfile
from typing import Any

import docx
from docx.opc.pkgwriter import PackageWriter
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.paragraph import CT_P
from docx.oxml.text.run import CT_R
from docx.text.paragraph import Paragraph
from docx.text.run import Run

_NEEDED = ((CT_R, "add_t"), (PackageWriter, "_write_content_types_stream"), (PackageWriter, "_write_pkg_rels"),
           (PackageWriter, "_write_parts"))
if not all(callable(getattr(owner, name, None)) for owner, name in _NEEDED) or \
        not isinstance(getattr(CT_P, "style", None), property):
    raise ImportError(f"python-docx {getattr(docx, '__version__', '?')} lacks an internal that "
                      "transcripts.formats.wordml uses (written for python-docx 1.1-1.2)")
#: The time on every zip entry, so the same document gives the same bytes.
ENTRY_TIME = (1980, 1, 1, 0, 0, 0)

_SPECIAL = frozenset("\t\n\r")


def add_run(paragraph: Paragraph, text: str, *, bold: bool | None = None, italic: bool | None = None) -> Run:
    """Append a run of ``text`` (the same XML as ``paragraph.add_run(text)``, without the per-character walk)."""
    run = paragraph.add_run()
    if _SPECIAL.isdisjoint(text):
        run._r.add_t(text)  # CT_R.add_t keeps leading and trailing spaces (xml:space="preserve")
    else:
        run.text = text  # tabs and line breaks become <w:tab/> and <w:br/>
    if bold is not None:
        run.bold = bold
    if italic is not None:
        run.italic = italic
    return run


def set_style(paragraph: Paragraph, style_id: str) -> None:
    """Give a paragraph a style by its id (``document.styles[name].style_id``, resolved once by the caller)."""
    paragraph._p.style = style_id


def set_core(document: docx.document.Document, *, title: str, author: str, when: dt.datetime) -> None:
    """Core properties of a made document: its title and author, made and modified at ``when`` (naive UTC)."""
    props = document.core_properties
    props.title = title[:255]
    props.author = props.last_modified_by = author[:255]
    props.comments = ""
    props.revision = 1
    props.created = props.modified = when


class _Entries:
    """What ``PackageWriter`` writes parts to: here, zip entries with a fixed time."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive

    def write(self, pack_uri: Any, blob: bytes) -> None:
        # Level 1: a transcript's XML shrinks nearly as much as at the default level, several times faster.
        self.archive.writestr(zipfile.ZipInfo(pack_uri.membername, date_time=ENTRY_TIME), blob,
                              compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)


def save(document: docx.document.Document) -> bytes:
    """The ``.docx`` bytes of a document, identical for identical content (``OpcPackage.save`` with fixed times)."""
    package = document.part.package
    for part in package.parts:
        part.before_marshal()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        entries = _Entries(archive)
        package_writer: Any = PackageWriter  # untyped internals; their presence is checked on import
        package_writer._write_content_types_stream(entries, package.parts)
        package_writer._write_pkg_rels(entries, package.rels)
        package_writer._write_parts(entries, package.parts)
    return buffer.getvalue()


def is_right_to_left(text: str) -> bool:
    """True when the first letter of ``text`` with a direction is written right to left (Arabic, Hebrew)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def right_to_left(document: docx.document.Document, language: str) -> None:
    """Lay a document out right to left: every paragraph ``bidi`` (in tables too), every table ``bidiVisual``,
    runs of right-to-left text ``rtl``, and the document's defaults the same, so text the editor adds follows."""
    body = document.element.body
    for p_pr in (p.get_or_add_pPr() for p in body.iter(qn("w:p"))):
        _first_child(p_pr, "w:bidi")
    for table in body.iter(qn("w:tbl")):
        _first_child(table.tblPr, "w:bidiVisual")
    for run in body.iter(qn("w:r")):
        if is_right_to_left("".join(t.text or "" for t in run.iter(qn("w:t")))):
            run.get_or_add_rPr().append(OxmlElement("w:rtl"))
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        p_pr = defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}")
        if p_pr is not None:
            _first_child(p_pr, "w:bidi")
        r_pr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if r_pr is not None:
            lang = r_pr.find(qn("w:lang"))
            if lang is None:
                lang = OxmlElement("w:lang")
                r_pr.append(lang)
            lang.set(qn("w:bidi"), language)


def _first_child(parent: Any, tag: str) -> None:
    """Put an empty ``tag`` element into ``parent`` unless it has one."""
    if parent.find(qn(tag)) is None:
        parent.insert_element_before(OxmlElement(tag), *_AFTER.get(tag, ()))


#: Elements that follow each one in the schema's order (python-docx inserts before the first it finds).
_AFTER = {
    "w:bidi": ("w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
               "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
               "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange"),
    "w:bidiVisual": ("w:tblStyleRowBandSize", "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing",
                     "w:tblInd", "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
                     "w:tblCaption", "w:tblDescription", "w:tblPrChange"),
}
