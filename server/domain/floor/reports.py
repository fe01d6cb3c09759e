"""Read-only reports on a floor queue's history: export records, session statistics and floor time by group."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..meetings.models import Mode
from .models import Intervention, Kind, Part, Request, Status


def floor_time_by_group(interventions: Iterable[Intervention], now: int) -> dict[str, int]:
    """Milliseconds of floor time per stakeholder group, a running intervention counted up to ``now``."""
    used: dict[str, int] = {}
    for i in interventions:
        group = str(i.person["group"])
        used[group] = used.get(group, 0) + i.duration_ms(now)
    return used


def records(requests: Iterable[Request], interventions: Iterable[Intervention]) -> dict[str, list[dict[str, Any]]]:
    """``interventions`` (one flat dict each, with the request's moves and declines) and ``unserved`` requests."""
    by_id = {r.id: r for r in requests}
    spoken = []
    for i in interventions:
        request = by_id[i.request_id]
        spoken.append({**i.as_dict(), "moves": list(request.moves), "declines": list(request.declines)})
    unserved = []
    for r in by_id.values():
        if r.status in (Status.QUEUED, Status.WITHDRAWN, Status.DECLINED):
            row = r.as_dict()
            person = row.pop("person")
            unserved.append({**person, **row})
    return {"interventions": spoken, "unserved": unserved}


def _summary(items: list[Intervention], now: int) -> dict[str, int]:
    """Count, floor time and average wait of some interventions."""
    return {
        "interventions": len(items),
        "floor_ms": sum(i.duration_ms(now) for i in items),
        "average_wait_ms": sum(i.wait_ms for i in items) // len(items) if items else 0,
    }


def stats(interventions: Iterable[Intervention], labels: Mapping[str, str], now: int) -> dict[str, Any]:
    """Totals, then the same figures by stakeholder group, by mode (onsite, remote, hub), by kind and by session
    part (``none`` for interventions before the chair first chose a part)."""
    items = list(interventions)
    groups = list(labels) + sorted({str(i.person["group"]) for i in items} - set(labels))
    by_group = {}
    for g in groups:
        summary = _summary([i for i in items if i.person["group"] == g], now)
        by_group[g] = {"label": labels.get(g, g), **summary}
    by_mode = {m.value: _summary([i for i in items if i.person["mode"] == m.value], now) for m in Mode}
    by_kind = {k.value: _summary([i for i in items if i.kind is k], now) for k in Kind}
    by_part = {p: _summary([i for i in items if (i.part or "none") == p], now)
               for p in ("none", *(p.value for p in Part))}
    return {**_summary(items, now), "by_group": by_group, "by_mode": by_mode, "by_kind": by_kind, "by_part": by_part}
