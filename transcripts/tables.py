"""The figures and the annex as CSV tables for spreadsheets, written by one escaping writer (``csv_text``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .model import MeetingInfo

SECTIONS = ("attendance", "contributions", "parts", "floor", "questions", "unserved")
ROW_KEYS = ("hub_id", "group", "side", "participant_id", "country", "theme")
#: What a spreadsheet reads as the start of a formula (a leading tab or carriage return hides one).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value a spreadsheet shows as written: text that could start a formula gets a leading ``'``; numbers and
    booleans stay as they are and ``None`` is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]], *, line_end: str = "\n", bom: bool = False) -> str:
    """A CSV table with every cell passed through :func:`cell`, so no cell can run as a formula (CSV injection)."""
    buffer = io.StringIO()
    if bom:
        buffer.write("\ufeff")  # spreadsheets then read the file as UTF-8
    out = csv.writer(buffer, lineterminator=line_end)
    out.writerow([cell(h) for h in header])
    out.writerows([cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def _flatten(section: str, item: str, value: Any) -> Iterator[tuple[str, str, str, Any]]:
    for key, v in value.items():
        if isinstance(v, dict):
            yield from _flatten(f"{section}.{key}", item, v)
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            for row in v:
                row_key = next((k for k in ROW_KEYS if k in row), None)
                for measure, x in row.items():
                    if measure not in (row_key, "label"):
                        yield f"{section}.{key}", str(row.get(row_key, "")), measure, x
        elif isinstance(v, list):
            yield section, item, key, "; ".join(str(x) for x in v)
        else:
            yield section, item, key, v


def figures_csv(figures: dict[str, Any]) -> str:
    """Every figure as one ``section,item,measure,value`` row (durations in milliseconds)."""
    return csv_text(["section", "item", "measure", "value"],
                    (row for section in SECTIONS for row in _flatten(section, "", figures[section])))


def annex_csv(meeting: MeetingInfo, annex: list[dict[str, str]]) -> str:
    """The list of participants for the annex, in its order."""
    return csv_text(["name", "organisation", "country", "stakeholder_group", "mode"],
                    ([row["name"], row["organisation"], row["country"], meeting.group_label(row["group"]), row["mode"]]
                     for row in annex))
