"""The rapporteur's figures for a session or a whole meeting, as JSON-ready dicts.

Counting follows UN practice: governments count as *countries* (distinct country codes, however many delegates a
country sent), everyone else as *persons* (distinct participant ids). ``CountingRules`` says whether
intergovernmental organisations count as persons or as organisations, and whether a statement made on behalf of a
group of states counts for the speaker's country. The draft text built from these figures is in ``draft.py``.

Contributions are counted per part of the session, as a chair's summary tells them apart: *presentations*
(interventions of kind ``presentation``, whatever the part), *closing* remarks (other interventions made in the
``closing`` part) and the *debate* (everything else, interposed questions included). ``contributions`` is the
debate's; ``parts`` has all three. A presenter who also speaks in the debate counts once in each. A version 1
export has no presentations recorded, so all its interventions are the debate's, as they always were.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from types import MappingProxyType
from typing import Any

from .model import Attendee, Hub, Intervention, MeetingInfo, Roster, Transcript
from .people import KINDS, STATUSES

SIDES = MappingProxyType({"onsite": "room", "remote": "remote", "hub": "hub"})


@dataclasses.dataclass(frozen=True)
class CountingRules:
    """How people are counted in the figures."""

    government_group: str = "government"
    igo_group: str = "igo"
    igo_as: str = "persons"  # or "organisations": each intergovernmental organisation counts once, like a country
    on_behalf: str = "speaker"  # or "exclude": a statement for a group of states does not count for the speaker

    def __post_init__(self) -> None:
        if self.igo_as not in ("persons", "organisations"):
            raise ValueError(f"igo_as must be 'persons' or 'organisations', not {self.igo_as!r}")
        if self.on_behalf not in ("speaker", "exclude"):
            raise ValueError(f"on_behalf must be 'speaker' or 'exclude', not {self.on_behalf!r}")

    def unit(self, group: str) -> str:
        """What one counts in a group: ``countries``, ``organisations`` or ``persons``."""
        if group == self.government_group:
            return "countries"
        if group == self.igo_group and self.igo_as == "organisations":
            return "organisations"
        return "persons"

    def entity(self, group: str, person_key: object, country: str, organisation: str) -> object:
        """The thing that is counted once for a person of ``group``."""
        unit = self.unit(group)
        if unit == "countries" and country:
            return ("country", country.upper())
        if unit == "organisations" and organisation.strip():
            return ("organisation", organisation.strip().casefold())
        return ("person", person_key)  # a delegate without a country still counts, as themself


def _person_key(participant_id: int | None, name: str, organisation: str) -> object:
    return participant_id if participant_id is not None else (name.casefold(), organisation.casefold())


def _groups(meeting: MeetingInfo, present: Iterable[str]) -> list[str]:
    """The meeting's groups in its order, then any others that occur."""
    slugs = [g.slug for g in meeting.groups]
    return slugs + sorted(set(present) - set(slugs))


def _split(counts: dict[str, int], rules: CountingRules) -> dict[str, int]:
    """Totals for the summary sentences: governments, IGOs counted as organisations, and everyone else."""
    governments = counts.get(rules.government_group, 0)
    igo = counts.get(rules.igo_group, 0) if rules.igo_as == "organisations" else 0
    return {"governments": governments, "igo_organisations": igo,
            "others": sum(counts.values()) - governments - igo}


def _legacy_hubs(records: Sequence[Attendee]) -> list[Hub]:
    """Hubs of an older export, where each person at a hub described it again: one hub per city and country,
    expecting the largest headcount given, named and numbered after its first record (such exports have no
    registered hubs whose ids it could meet)."""
    found: dict[tuple[str, str], Hub] = {}
    for a in records:
        if a.mode != "hub" or a.hub_id is not None or not a.hub_city:
            continue
        country = (a.hub_country or a.country).upper()
        key = (a.hub_city.strip().casefold(), country)
        old = found.get(key)
        headcount = max(a.hub_headcount or 0, old.expected_headcount if old else 0)
        found[key] = Hub(id=old.id if old else a.participant_id, name=old.name if old else a.name,
                         city=a.hub_city, country=country, host_organisation="", group=a.group,
                         expected_headcount=headcount, registered=0)
    return list(found.values())


def _hub_of(a: Attendee, legacy: dict[tuple[str, str], int]) -> int | None:
    if a.hub_id is not None:
        return a.hub_id
    if a.mode == "hub" and a.hub_city:
        return legacy.get((a.hub_city.strip().casefold(), (a.hub_country or a.country).upper()))
    return None


def attendance(meeting: MeetingInfo, records: Sequence[Attendee], rules: CountingRules,
               roster: Roster | None = None) -> dict[str, Any]:
    """Who registered and who attended: persons (hubs taking part as themselves are not persons) by group (in
    each group's unit), by mode and by country; the hubs that took part, each counting its expected headcount or
    the people registered through it when more."""
    roster = roster or Roster()
    persons_here = [a for a in records if a.kind == "person"]
    entities: dict[str, set[object]] = {}
    persons: dict[str, set[int]] = {}
    by_mode: dict[str, set[int]] = {mode: set() for mode in SIDES}
    countries: dict[str, dict[str, set[int]]] = {}
    for a in persons_here:
        entities.setdefault(a.group, set()).add(rules.entity(a.group, a.participant_id, a.country, a.organisation))
        persons.setdefault(a.group, set()).add(a.participant_id)
        by_mode[a.mode].add(a.participant_id)
        countries.setdefault(a.country.upper(), {"registered": set(), "attended": set()})["attended"].add(
            a.participant_id)
    registered: dict[str, set[object]] = {}
    for r in roster.registrations:
        registered.setdefault(r.group, set()).add(rules.entity(r.group, r.participant_id, r.country, r.organisation))
        countries.setdefault(r.country.upper(), {"registered": set(), "attended": set()})["registered"].add(
            r.participant_id)
    legacy = _legacy_hubs(records)
    legacy_keys = {(h.city.strip().casefold(), h.country): h.id for h in legacy}
    known = {h.id: h for h in (*roster.hubs, *legacy)}
    members: dict[int, set[int]] = {}
    present: set[int] = set()
    for a in records:
        hub_id = _hub_of(a, legacy_keys)
        if hub_id is None or hub_id not in known:
            continue
        present.add(hub_id)
        if a.kind == "person":
            members.setdefault(hub_id, set()).add(a.participant_id)
    hub_rows: list[dict[str, Any]] = []
    for h in sorted((known[i] for i in present), key=lambda h: (h.city.casefold(), h.name.casefold())):
        h = dataclasses.replace(h, registered=max(h.registered, len(members.get(h.id, ()))))
        hub_rows.append({"hub_id": h.id, "name": h.name, "city": h.city, "country": h.country,
                         "host_organisation": h.host_organisation, "expected_headcount": h.expected_headcount,
                         "registered": h.registered, "attended": len(members.get(h.id, ())),
                         "people": h.people})
    hub_countries: dict[str, dict[str, int]] = {}
    for row in hub_rows:
        c = hub_countries.setdefault(row["country"], {"country": row["country"], "hubs": 0, "people": 0})
        c["hubs"] += 1
        c["people"] += row["people"]
    counts = {g: len(entities[g]) for g in entities}
    by_group = [{"group": g, "label": meeting.group_label(g), "unit": rules.unit(g), "count": counts.get(g, 0),
                 "persons": len(persons.get(g, ())), "registered": len(registered.get(g, ()))}
                for g in _groups(meeting, set(entities) | set(registered))]
    return {"by_group": by_group, **_split(counts, rules),
            "registered": len(roster.registrations),
            "persons": len({a.participant_id for a in persons_here}),
            "by_mode": {mode: len(ids) for mode, ids in by_mode.items()},
            "by_country": [{"country": c, "registered": len(v["registered"]), "attended": len(v["attended"])}
                           for c, v in sorted(countries.items()) if c],
            "hubs": hub_rows, "hubs_registered": len(roster.hubs) or len(legacy),
            "hub_people": sum(h["people"] for h in hub_rows),
            "hubs_by_country": sorted(hub_countries.values(), key=lambda c: c["country"])}


def annex(meeting: MeetingInfo, records: Sequence[Attendee]) -> list[dict[str, str]]:
    """Attendees who agreed to be listed, once each, sorted by group (meeting order) then name."""
    people: dict[int, Attendee] = {}
    for a in records:
        if a.listed and a.kind == "person":
            people.setdefault(a.participant_id, a)
    rows = sorted(people.values(), key=lambda a: (meeting.group_order(a.group), a.group, a.name.casefold()))
    return [{"name": a.name, "organisation": a.organisation, "country": a.country, "group": a.group,
             "group_label": meeting.group_label(a.group), "mode": a.mode} for a in rows]


def split_parts(spoken: Sequence[Intervention]) -> dict[str, list[Intervention]]:
    """Interventions by the part they count in: ``presentations``, ``debate`` and ``closing`` (see the module)."""
    out: dict[str, list[Intervention]] = {"presentations": [], "debate": [], "closing": []}
    for i in spoken:
        if i.kind == "presentation":
            out["presentations"].append(i)
        elif i.part == "closing":
            out["closing"].append(i)
        else:
            out["debate"].append(i)
    return out


def presenters(
    meeting: MeetingInfo, records: Sequence[Attendee], spoken: Sequence[Intervention]
) -> list[dict[str, Any]]:
    """Presenters: those who gave a recorded presentation, in the order of their first one; then attendees the
    rapporteur marked as presenters, in the order they first took the floor (those who never spoke last, by
    arrival)."""
    first_spoke: dict[int, int] = {}
    for i in sorted(spoken, key=lambda i: i.start_ms):
        if i.participant_id is not None:
            first_spoke.setdefault(i.participant_id, i.start_ms)
    out: dict[object, dict[str, Any]] = {}
    for i in sorted(spoken, key=lambda i: (i.start_ms, i.id)):
        if i.kind == "presentation":
            out.setdefault(_person_key(i.participant_id, i.name, i.organisation), {
                "participant_id": i.participant_id, "name": i.name, "organisation": i.organisation,
                "country": i.country, "group": i.group, "group_label": meeting.group_label(i.group)})
    people: dict[int, Attendee] = {}
    for a in sorted(records, key=lambda a: a.join_ms):
        if a.presenter and a.participant_id not in out:
            people.setdefault(a.participant_id, a)
    order = sorted(people.values(), key=lambda a: (a.participant_id not in first_spoke,
                                                   first_spoke.get(a.participant_id, a.join_ms)))
    for a in order:
        out[a.participant_id] = {"participant_id": a.participant_id, "name": a.name, "organisation": a.organisation,
                                 "country": a.country, "group": a.group, "group_label": meeting.group_label(a.group)}
    return list(out.values())


def contributions(meeting: MeetingInfo, spoken: Sequence[Intervention], rules: CountingRules) -> dict[str, Any]:
    """Who took the floor: entities by group, statements by group, kind and country, groups represented."""
    entities: dict[str, set[object]] = {}
    statements: dict[str, int] = {}
    countries: dict[str, dict[str, Any]] = {}
    kinds = dict.fromkeys(KINDS, 0)
    represented: list[str] = []
    for i in spoken:
        kinds[i.kind] += 1
        statements[i.group] = statements.get(i.group, 0) + 1
        if i.on_behalf_of and i.on_behalf_of not in represented:
            represented.append(i.on_behalf_of)
        if i.kind == "on_behalf" and rules.on_behalf == "exclude":
            continue
        key = _person_key(i.participant_id, i.name, i.organisation)
        entities.setdefault(i.group, set()).add(rules.entity(i.group, key, i.country, i.organisation))
        if i.country:
            row = countries.setdefault(i.country.upper(), {"country": i.country.upper(), "interventions": 0,
                                                           "speakers": set()})
            row["interventions"] += 1
            row["speakers"].add(key)
    counts = {g: len(entities[g]) for g in entities}
    groups = _groups(meeting, set(entities) | set(statements))
    return {"by_group": [{"group": g, "label": meeting.group_label(g), "unit": rules.unit(g),
                          "count": counts.get(g, 0), "interventions": statements.get(g, 0)} for g in groups],
            **_split(counts, rules), "interventions": len(spoken), "by_kind": kinds, "on_behalf_of": represented,
            "by_country": [{"country": c["country"], "interventions": c["interventions"],
                            "speakers": len(c["speakers"])} for c in sorted(countries.values(),
                                                                            key=lambda c: c["country"])]}


def _floor_table(spoken: Sequence[tuple[Intervention, int]], key: str, labels: dict[str, str],
                 pick: Callable[[Intervention], str]) -> list[dict[str, Any]]:
    """Interventions, floor time and average wait per row; rows in ``labels`` order, unexpected ones after."""
    rows: dict[str, dict[str, Any]] = {}
    for k in list(labels) + [pick(i) for i, _ in spoken]:
        rows.setdefault(k, {key: k, "label": labels.get(k, k), "interventions": 0, "floor_ms": 0, "waited": 0,
                            "wait_ms": 0})
    for i, end in spoken:
        row = rows[pick(i)]
        row["interventions"] += 1
        row["floor_ms"] += max(end - i.start_ms - i.paused_ms, 0)
        if i.requested_ms is not None and i.called_ms is not None:
            row["waited"] += 1
            row["wait_ms"] += max(i.called_ms - i.requested_ms, 0)
    for row in rows.values():
        row["avg_wait_ms"] = round(row["wait_ms"] / row["waited"]) if row["waited"] else None
        del row["wait_ms"]
    return list(rows.values())


def floor(meeting: MeetingInfo, spoken: Sequence[tuple[Intervention, int]]) -> dict[str, Any]:
    """Floor time and waiting time (``called_ms - requested_ms``) by group and by room/remote/hub."""
    waits = [max(i.called_ms - i.requested_ms, 0) for i, _ in spoken
             if i.requested_ms is not None and i.called_ms is not None]
    group_labels = {g: meeting.group_label(g) for g in _groups(meeting, (i.group for i, _ in spoken))}
    side_labels = {"room": "In the room", "remote": "Remote", "hub": "Remote hubs"}
    return {"interventions": len(spoken), "total_ms": sum(max(end - i.start_ms - i.paused_ms, 0) for i, end in spoken),
            "avg_wait_ms": round(sum(waits) / len(waits)) if waits else None,
            "by_group": _floor_table(spoken, "group", group_labels, lambda i: i.group),
            "by_side": _floor_table(spoken, "side", side_labels, lambda i: SIDES[i.mode])}


def questions(meeting: MeetingInfo, transcripts: Sequence[Transcript]) -> dict[str, Any]:
    """Questions received, published, answered and dismissed (by reason), by theme and by author's group."""
    qs = [q for t in transcripts for q in t.questions]
    reasons: dict[str, int] = {}
    for q in qs:
        if q.status == "dismissed":
            reasons[q.dismiss_reason or "unspecified"] = reasons.get(q.dismiss_reason or "unspecified", 0) + 1
    by_theme: dict[str, int] = {}
    for q in qs:
        by_theme[q.theme or ""] = by_theme.get(q.theme or "", 0) + 1
    return {"received": len(qs), "published": sum(q.was_published for q in qs),
            **{status: sum(q.status == status for q in qs) for status in STATUSES if status != "published"},
            "dismissed_by_reason": dict(sorted(reasons.items())),
            "by_theme": [{"theme": k, "questions": v} for k, v in sorted(by_theme.items())],
            "by_group": [{"group": g, "label": meeting.group_label(g), "questions": n} for g in
                         _groups(meeting, (q.author.group for q in qs))
                         if (n := sum(q.author.group == g for q in qs))]}


def unserved(meeting: MeetingInfo, transcripts: Sequence[Transcript]) -> dict[str, Any]:
    """Requests for the floor never served: withdrawn, or still waiting at the end."""
    rows = [u for t in transcripts for u in t.unserved_requests]
    by_group: dict[str, int] = {}
    by_side = {side: 0 for side in SIDES.values()}
    for u in rows:
        by_group[u.group] = by_group.get(u.group, 0) + 1
        by_side[SIDES[u.mode]] += 1
    return {"total": len(rows), "withdrawn": sum(u.withdrawn_ms is not None for u in rows),
            "waiting": sum(u.withdrawn_ms is None for u in rows),
            "by_group": [{"group": g, "label": meeting.group_label(g), "requests": by_group[g]}
                         for g in _groups(meeting, by_group) if g in by_group],
            "by_side": by_side}


def figures(
    meeting: MeetingInfo, transcripts: Sequence[Transcript], rules: CountingRules | None = None
) -> dict[str, Any]:
    """Every figure for one session (one transcript) or a meeting (all of them), as a JSON-ready dict."""
    rules = rules or CountingRules()
    held = [t for t in transcripts if t.held]
    # A session never started was not held: nobody attended it, whatever connections were recorded.
    records = [a for t in held for a in t.attendance]
    timed = [(i, max(i.end_ms if i.end_ms is not None else t.end_ms, i.start_ms))
             for t in transcripts for i in sorted(t.interventions, key=lambda i: (i.start_ms, i.id))]
    spoken = [i for i, _ in timed]
    parts = {name: contributions(meeting, items, rules) for name, items in split_parts(spoken).items()}
    return {"scope": "session" if len(transcripts) == 1 else "meeting",
            "sessions": [t.session.id for t in transcripts],
            "rules": dataclasses.asdict(rules),
            "held": [t.session.id for t in held],
            "not_held": [t.session.id for t in transcripts if not t.held],
            "attendance": attendance(meeting, records, rules, transcripts[0].roster if transcripts else None),
            "annex": annex(meeting, records),
            "presenters": presenters(meeting, records, spoken),
            "contributions": parts["debate"],
            "parts": parts,
            "floor": floor(meeting, timed),
            "questions": questions(meeting, transcripts),
            "unserved": unserved(meeting, transcripts)}
