"""The small Markdown subset the summary draft is written in, and its conversion to HTML and Word.

Supported: ``#``-``####`` headings, paragraphs, ``-`` and ``1.`` lists, ``|`` tables, ``**bold**``, ``*italic*``
and backslash escapes. Anything else stays literal text. The subset keeps the secretariat's template the single
source of the draft while the HTML and DOCX versions need no Markdown library; all text is escaped on output.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

SPECIAL = "\\`*_[]<>#|&!"
_HEADING = re.compile(r"^(#{1,4})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\d+[.)]\s+(.*)$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_RULE_ROW = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_SPACE = re.compile(r"\s+")
_INLINE = re.compile(r"\\(.)|(\*\*)|(\*)", re.S)

Block = tuple[str, Any]  # ("h1".."h4", text) | ("p", text) | ("ul"/"ol", [text]) | ("table", [[cell]])


def escape(text: str) -> str:
    """Text that reads back literally: Markdown punctuation backslash-escaped, line breaks folded into spaces."""
    return "".join(f"\\{c}" if c in SPECIAL else c for c in _SPACE.sub(" ", text))


def blocks(source: str) -> Iterator[Block]:
    """Split Markdown into blocks."""
    lines = source.splitlines()
    i = 0
    paragraph: list[str] = []
    while i < len(lines):
        line = lines[i].strip()
        kind = _block_kind(line)
        if (kind != "p" or not line) and paragraph:
            yield "p", " ".join(paragraph)
            paragraph = []
        if not line:
            i += 1
        elif kind == "h":
            match = _HEADING.match(line)
            assert match is not None  # _block_kind said "h"
            yield f"h{len(match.group(1))}", match.group(2)
            i += 1
        elif kind in ("ul", "ol"):
            pattern = _BULLET if kind == "ul" else _NUMBERED
            items = []
            while i < len(lines) and (match := pattern.match(lines[i].strip())):
                items.append(match.group(1))
                i += 1
            yield kind, items
        elif kind == "table":
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                row = lines[i].strip()
                if not _RULE_ROW.match(row):
                    rows.append([c.strip() for c in _CELL_SPLIT.split(row.strip("|"))])
                i += 1
            yield "table", rows
        else:
            paragraph.append(line)
            i += 1
    if paragraph:
        yield "p", " ".join(paragraph)


def _block_kind(line: str) -> str:
    if _HEADING.match(line):
        return "h"
    if _BULLET.match(line):
        return "ul"
    if _NUMBERED.match(line):
        return "ol"
    if line.startswith("|"):
        return "table"
    return "p"


def runs(text: str) -> list[tuple[str, bool, bool]]:
    """Inline text as ``(text, bold, italic)`` runs, with escapes resolved."""
    out: list[tuple[str, bool, bool]] = []
    bold = italic = False
    buffer = ""
    pos = 0
    for match in _INLINE.finditer(text):
        buffer += text[pos:match.start()]
        pos = match.end()
        if match.group(1) is not None:
            buffer += match.group(1)
            continue
        if buffer:
            out.append((buffer, bold, italic))
            buffer = ""
        if match.group(2):
            bold = not bold
        else:
            italic = not italic
    buffer += text[pos:]
    if buffer:
        out.append((buffer, bold, italic))
    return out


def inline_html(text: str) -> str:
    """Inline Markdown as escaped HTML."""
    parts = []
    for chunk, bold, italic in runs(text):
        chunk = html.escape(chunk, quote=False)
        if italic:
            chunk = f"<em>{chunk}</em>"
        if bold:
            chunk = f"<strong>{chunk}</strong>"
        parts.append(chunk)
    return "".join(parts)


def to_html(source: str) -> str:
    """Markdown as an HTML fragment."""
    out = []
    for kind, value in blocks(source):
        if kind in ("ul", "ol"):
            out.append(f"<{kind}>" + "".join(f"<li>{inline_html(v)}</li>" for v in value) + f"</{kind}>")
        elif kind == "table":
            head, *body = value or [[]]
            out.append("<table><thead><tr>" + "".join(f"<th>{inline_html(c)}</th>" for c in head) + "</tr></thead>"
                       "<tbody>" + "".join("<tr>" + "".join(f"<td>{inline_html(c)}</td>" for c in row) + "</tr>"
                                           for row in body) + "</tbody></table>")
        else:
            out.append(f"<{kind}>{inline_html(value)}</{kind}>")
    return "\n".join(out)


def to_docx(source: str, document: Any) -> None:
    """Append Markdown to a python-docx document as headings, paragraphs, lists and tables."""
    from .formats import wordml
    from .formats.docx import xml_safe

    def fill(paragraph: Any, text: str) -> None:
        for chunk, bold, italic in runs(text):
            wordml.add_run(paragraph, xml_safe(chunk), bold=bold or None, italic=italic or None)

    # A list style resolved once: looking a style up by name scans every style of the document each time.
    styles = {kind: document.styles[name].style_id for kind, name in (("ul", "List Bullet"), ("ol", "List Number"))}
    for kind, value in blocks(source):
        if kind.startswith("h"):
            fill(document.add_heading("", level=int(kind[1]) - 1), value)
        elif kind in ("ul", "ol"):
            for item in value:
                paragraph = document.add_paragraph()
                wordml.set_style(paragraph, styles[kind])
                fill(paragraph, item)
        elif kind == "table" and value:
            width = max(len(r) for r in value)
            table = document.add_table(rows=len(value), cols=width)
            table.style = "Table Grid"
            for r, (row, cells) in enumerate(zip(value, table.rows, strict=True)):
                # table.cell(r, c) walks the whole table each time; one row's cells at a time stays linear.
                for cell, target in zip(row, cells.cells, strict=False):  # short rows leave cells empty
                    fill(target.paragraphs[0], f"**{cell}**" if r == 0 else cell)
        else:
            fill(document.add_paragraph(), value)
