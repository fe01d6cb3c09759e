"""The figures and the annex as CSV tables for spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from .model import MeetingInfo

SECTIONS = ("attendance", "contributions", "parts", "floor", "questions", "unserved")
ROW_KEYS = ("hub_id", "group", "side", "participant_id", "country", "theme")


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
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(["section", "item", "measure", "value"])
    for section in SECTIONS:
        for section_name, item, measure, value in _flatten(section, "", figures[section]):
            out.writerow([section_name, item, measure, "" if value is None else value])
    return buffer.getvalue()


def annex_csv(meeting: MeetingInfo, annex: list[dict[str, str]]) -> str:
    """The list of participants for the annex, in its order."""
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(["name", "organisation", "country", "stakeholder_group", "mode"])
    for row in annex:
        out.writerow([_safe(row["name"]), _safe(row["organisation"]), row["country"],
                      meeting.group_label(row["group"]), row["mode"]])
    return buffer.getvalue()


def _safe(cell: str) -> str:
    """Keep spreadsheets from running a participant's name as a formula (CSV injection)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
