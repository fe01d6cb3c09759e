"""A hand-built meeting with known attendance, interventions and questions, as the server would export it.

Session ``ec-dialogue`` (the one most tests use) is designed so every figure is known in advance:

- attendance: governments BR (2 delegates), KE (joins twice), DE (remote), IN = 4 countries; IGOs: 3 persons from
  2 organisations (ITU x2, OECD); civil 4 (one is the Nairobi hub, 25 people), private 1, technical 2,
  academic 2 (one is the Dhaka hub, 12 people) = 12 other persons; 15 listed in the annex (Parminder Singh and
  Nigel Hickson are not listed); presenters Esterhuysen, Ntoko, Kummer.
- floor: 10 interventions; governments BR x2, DE, IN (on behalf of the G77 and China), KE (right of reply)
  = 4 countries; others: Esterhuysen, Ntoko, Singh, the Nairobi hub, Cade = 5 persons.
- questions: 7 received, 4 ever published, 1 answered, 1 on screen, 1 pending, 3 dismissed (2 duplicate,
  1 off_topic after being published).
- unserved: OECD (remote, withdrawn) and Hickson (onsite, still waiting).
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

GROUPS = [{"slug": "government", "label": "Governments"}, {"slug": "igo", "label": "Intergovernmental organisations"},
          {"slug": "private", "label": "Private sector"}, {"slug": "civil", "label": "Civil society"},
          {"slug": "technical", "label": "Technical community"}, {"slug": "academic", "label": "Academic community"}]
MEETING = {"slug": "igf2012", "title": "Internet Governance Forum 2012", "venue": "Baku Expo Center, Azerbaijan",
           "timezone": "Asia/Baku", "groups": GROUPS}

# Baku was UTC+4 in November 2012: 10:30 local is 06:30 UTC.
T0 = int(dt.datetime(2012, 11, 5, 6, 30, tzinfo=dt.UTC).timestamp() * 1000)
START = T0 + 2 * 60_000  # the chair opened the session two minutes late
MIN = 60_000

# participant id -> (name, organisation, country, group, mode, listed, presenter)
PEOPLE: dict[int, tuple] = {
    1: ("Ana Souza", "Ministry of Communications", "BR", "government", "onsite", True, False),
    2: ("Bruno Lima", "Anatel", "BR", "government", "onsite", True, False),
    3: ("Grace Wanjiru", "Ministry of ICT", "KE", "government", "onsite", True, False),
    4: ("Klaus Weber", "Federal Foreign Office", "DE", "government", "remote", True, False),
    5: ("Ravi Kumar", "Permanent Mission of India", "IN", "government", "onsite", True, False),
    6: ("Alexander Ntoko", "ITU", "CH", "igo", "onsite", True, True),
    7: ("Claire Dubois", "OECD", "FR", "igo", "remote", True, False),
    8: ("Hamid Saleh", "ITU", "CH", "igo", "onsite", True, False),
    9: ("Anriette Esterhuysen", "Association for Progressive Communications", "ZA", "civil", "onsite", True, True),
    10: ("Parminder Singh", "IT for Change", "IN", "civil", "remote", False, False),
    11: ("Lea Kaspar", "Global Partners Digital", "GB", "civil", "onsite", True, False),
    12: ("Marilyn Cade", "mCADE LLC", "US", "private", "onsite", True, False),
    13: ("Markus Kummer", "Internet Society", "CH", "technical", "onsite", True, True),
    14: ("Nigel Hickson", "ICANN", "GB", "technical", "onsite", False, False),
    15: ("Marilia Maciel", "FGV", "BR", "academic", "onsite", True, False),
    16: ("Nairobi remote hub", "KICTANet", "KE", "civil", "hub", True, False),
    17: ("Dhaka remote hub", "BIGF", "BD", "academic", "hub", True, False),
    18: ("Jean Martin", "Ministère de l'Économie", "FR", "government", "onsite", True, False),  # day two only
}
HUBS = {16: ("Nairobi", "KE", 25), 17: ("Dhaka", "BD", 12)}


def person(pid: int) -> dict[str, Any]:
    """The person fields shared by interventions, requests and attendance."""
    name, org, country, group, mode, _listed, _presenter = PEOPLE[pid]
    return {"participant_id": pid, "name": name, "organisation": org, "country": country, "group": group, "mode": mode}


def attendee(pid: int, join: int, leave: int | None = None) -> dict[str, Any]:
    """One attendance record (as older exports wrote them: one per join, each hub described on its record)."""
    _n, _o, _c, _g, _mode, listed, presenter = PEOPLE[pid]
    city, country, headcount = HUBS.get(pid, (None, None, None))
    return {**person(pid), "hub_city": city, "hub_country": country, "hub_headcount": headcount, "listed": listed,
            "presenter": presenter, "join_ms": join, "leave_ms": leave, "kind": "person", "hub_id": None,
            "attended_ms": None, "intervals": []}


def intervention(iid: int, pid: int, start_min: float, end_min: float | None, *, requested: float | None = None,
                 called: float | None = None, kind: str = "normal", on_behalf_of: str | None = None,
                 question_id: int | None = None, read_by: str | None = None) -> dict[str, Any]:
    """One intervention, times in minutes after the actual start."""
    at = lambda m: None if m is None else START + int(m * MIN)  # noqa: E731
    return {"id": iid, **person(pid), "kind": kind, "on_behalf_of": on_behalf_of, "language": "en",
            "requested_ms": at(requested), "called_ms": at(called), "start_ms": at(start_min), "end_ms": at(end_min),
            "question_id": question_id, "read_by": read_by, "part": None, "paused_ms": 0, "addressed_to": None}


def question(qid: int, pid: int, text: str, status: str, *, show_name: bool = True, reason: str | None = None,
             published_first: bool = False, votes: int = 0, theme: str | None = "Enhanced cooperation") -> dict:
    """One question with a plausible moderation history."""
    author = {k: v for k, v in person(pid).items()}
    submitted = START + qid * MIN
    history = [{"status": "pending", "at_ms": submitted, "by": None}]
    if status in ("published", "on_screen", "answered") or published_first:
        history.append({"status": "published", "at_ms": submitted + 30_000, "by": "moderator"})
    if status in ("on_screen", "answered"):
        history.append({"status": "on_screen", "at_ms": submitted + 60_000, "by": "moderator"})
    if status in ("answered", "dismissed"):
        history.append({"status": status, "at_ms": submitted + 90_000, "by": "moderator"})
    return {"id": qid, "text": text, "author": author, "show_name": show_name, "theme": theme, "language": "en",
            "status": status, "dismiss_reason": reason, "votes": votes, "submitted_ms": submitted,
            "history": history, "intervention_id": None}


def segment(seq: int, at_s: float, text: str, *, iid: int | None = None, lang: str = "en", dur_s: float = 4,
            speaker: str | None = None) -> dict[str, Any]:
    """One caption segment, ``at_s`` seconds after the actual start."""
    first = START + int(at_s * 1000)
    return {"seq": seq, "lang": lang, "text": text, "first_ms": first, "final_ms": first + int(dur_s * 1000),
            "speaker": speaker, "intervention_id": iid, "captioner": "cart-1", "revision": 0}


LONG = ("Enhanced cooperation should enable governments, on an equal footing, to carry out their roles and "
        "responsibilities in international public policy issues pertaining to the Internet, but not in the "
        "day-to-day technical and operational matters.")


def dialogue_session() -> dict[str, Any]:
    """The ``ec-dialogue`` session export (see the module docstring for its known figures)."""
    attendance = [attendee(pid, T0 + pid * 1000) for pid in PEOPLE if pid != 18]
    attendance.append(attendee(3, START + 40 * MIN))  # Kenya's delegate came back: still one person, one country
    interventions = [
        intervention(1, 9, 1, 6),
        intervention(2, 6, 6, 10, on_behalf_of="the Secretary-General of the ITU"),
        intervention(3, 1, 12, 15, requested=8, called=12),
        intervention(4, 10, 15, 17, requested=9, called=15),
        intervention(5, 2, 17, 19, requested=13, called=17),
        intervention(6, 4, 19, 22, requested=14, called=19),
        intervention(7, 5, 22, 26, requested=15, called=22, kind="on_behalf", on_behalf_of="the G77 and China"),
        intervention(8, 16, 26, 28, requested=16, called=26),
        intervention(9, 3, 28, 29, requested=27, called=28, kind="right_of_reply"),
        intervention(10, 12, 29, None, requested=20, called=29),  # still speaking when the export was taken
    ]
    unserved = [
        {**person(7), "kind": "normal", "on_behalf_of": None, "requested_ms": START + 10 * MIN,
         "withdrawn_ms": START + 14 * MIN},
        {**person(14), "kind": "normal", "on_behalf_of": None, "requested_ms": START + 25 * MIN, "withdrawn_ms": None},
    ]
    questions = [
        question(1, 11, "How should enhanced cooperation relate to the IGF?", "answered", votes=5),
        question(2, 15, "Who maps existing mechanisms & gaps?", "published", show_name=False, votes=3),
        question(3, 4, "How should enhanced cooperation relate to the IGF?", "dismissed", reason="duplicate"),
        question(4, 10, "What about lunch?", "dismissed", reason="off_topic", published_first=True),
        question(5, 12, "Will the slides be shared?", "pending"),
        question(6, 13, "Who maps existing mechanisms?", "dismissed", reason="duplicate"),
        question(7, 16, "Can hubs take the floor directly?", "on_screen", theme=None),
    ]
    segments = [
        segment(0, -30, "Testing, one, two."),
        segment(1, 10, ">> CHAIR: Good morning and welcome to this session on enhanced cooperation."),
        segment(2, 16, "We have a full list of speakers & little time."),
        segment(3, 60, ">> ANRIETTE ESTERHUYSEN: Thank you, Chair.", iid=1),
        segment(4, 65, LONG, iid=1, dur_s=12),
        segment(5, 80, "[ Applause ]"),
        segment(6, 360, "Thank you. I speak on behalf of the Secretary-General of the ITU.", iid=2),
        segment(7, 370, "Cooperation <already> happens in many fora. >> CHAIR: Thank you. Brazil, you have the floor.",
                iid=2, dur_s=6),
        segment(8, 720, "Brazil supports a multistakeholder working group.", iid=3),
        segment(9, 900, "Parminder here, speaking remotely.", iid=4),
        segment(10, 1320, "On behalf of the G77 and China, we call for an intergovernmental mechanism.", iid=7),
        segment(11, 1560, ">> We can hear you from Nairobi."),
        segment(12, 1680, "Kenya wishes to exercise its right of reply.", iid=9),
        segment(0, 10, ">> PRÉSIDENT : Bonjour et bienvenue.", lang="fr"),
        segment(1, 60, "Merci, Monsieur le Président.", iid=1, lang="fr"),
    ]
    return {"format": "floorcast-transcript", "version": 2, "meeting": copy.deepcopy(MEETING),
            "session": {"id": "ec-dialogue", "title": "Enhanced Cooperation: From Deadlock to Dialogue",
                        "room": "Room 3", "scheduled_start_ms": T0, "scheduled_end_ms": T0 + 90 * MIN,
                        "started_ms": START, "ended_ms": START + 32 * MIN,
                        "themes": ["Enhanced cooperation", "Internet governance"]},
            "segments": segments, "interventions": interventions, "unserved_requests": unserved,
            "questions": questions, "attendance": attendance, "parts": []}


def main_session() -> dict[str, Any]:
    """A second, smaller session the next day: adds France and a larger Nairobi hub."""
    day2 = T0 + 24 * 60 * MIN
    hub = attendee(16, day2)
    hub["hub_headcount"] = 30
    data = dialogue_session()
    shift = day2 - START
    data["session"] = {"id": "main-session", "title": "Main Session: Taking Stock", "room": "Main Hall",
                       "scheduled_start_ms": day2, "scheduled_end_ms": day2 + 60 * MIN, "started_ms": day2,
                       "ended_ms": day2 + 20 * MIN, "themes": []}
    data["attendance"] = [attendee(1, day2), attendee(18, day2), hub, attendee(9, day2)]
    ivs = [intervention(101, 18, 5, 8, requested=2, called=5), intervention(102, 9, 8, 10)]
    for iv in ivs:
        for key in ("requested_ms", "called_ms", "start_ms", "end_ms"):
            iv[key] = iv[key] + shift - (START - T0) if iv[key] is not None else None
    data["interventions"] = ivs
    data["unserved_requests"] = []
    q = question(101, 18, "Is a working group the next step?", "published")
    q["submitted_ms"] += shift
    data["questions"] = [q]
    data["segments"] = [segment(0, 0, ">> CHAIR: Welcome to the main session."),
                        segment(1, 300, "France thanks the Chair.", iid=101)]
    for seg in data["segments"]:
        seg["first_ms"] += shift - (START - T0)
        seg["final_ms"] += shift - (START - T0)
    return data


def meeting_export() -> dict[str, Any]:
    """The whole meeting: both sessions."""
    sessions = [dialogue_session(), main_session()]
    for s in sessions:
        del s["meeting"]
    return {"format": "floorcast-meeting", "version": 2, "meeting": copy.deepcopy(MEETING), "sessions": sessions}


def version_1(data: dict[str, Any]) -> dict[str, Any]:
    """The same session export as a version 1 document: no parts, no pauses, none of the newer fields."""
    old = copy.deepcopy(data)
    old["version"] = 1
    old.pop("parts", None)
    for i in old.get("interventions", []):
        for key in ("part", "paused_ms", "addressed_to"):
            i.pop(key, None)
    return old
