"""The rapporteur's figures, replayed on a meeting whose attendance, floor log and questions are known."""

from __future__ import annotations

import pytest

from transcripts import Transcript
from transcripts.summary import CountingRules, figures

from .meeting import MIN, START, attendee

GROUPS = ["government", "igo", "private", "civil", "technical", "academic"]


def _counts(rows: list[dict], *keys: str) -> dict[str, tuple]:
    return {r["group"]: tuple(r[k] for k in keys) for r in rows}


def test_session_attendance(transcript):
    a = figures(transcript.meeting, [transcript])["attendance"]
    assert _counts(a["by_group"], "unit", "count", "persons") == {
        "government": ("countries", 4, 5), "igo": ("persons", 3, 3), "private": ("persons", 1, 1),
        "civil": ("persons", 4, 4), "technical": ("persons", 2, 2), "academic": ("persons", 2, 2)}
    assert (a["governments"], a["igo_organisations"], a["others"], a["persons"]) == (4, 0, 12, 17)
    assert a["by_mode"] == {"onsite": 12, "remote": 3, "hub": 2}
    # An older export describes each hub on its attendance record: one hub per city and country.
    assert [(h["hub_id"], h["name"], h["city"], h["country"], h["expected_headcount"], h["people"])
            for h in a["hubs"]] == [(17, "Dhaka remote hub", "Dhaka", "BD", 12, 12),
                                    (16, "Nairobi remote hub", "Nairobi", "KE", 25, 25)]
    assert a["hub_people"] == 37 and a["hubs_registered"] == 2


def test_igo_counted_as_organisations(transcript):
    f = figures(transcript.meeting, [transcript], CountingRules(igo_as="organisations"))
    a, c = f["attendance"], f["contributions"]
    assert (a["governments"], a["igo_organisations"], a["others"]) == (4, 2, 9)  # ITU twice, OECD: 2
    assert (c["governments"], c["igo_organisations"], c["others"]) == (4, 1, 4)
    assert _counts(a["by_group"], "unit", "count")["igo"] == ("organisations", 2)


def test_annex_lists_only_consenting_attendees_by_group_then_name(transcript):
    annex = figures(transcript.meeting, [transcript])["annex"]
    assert [(r["group"], r["name"]) for r in annex] == [
        ("government", "Ana Souza"), ("government", "Bruno Lima"), ("government", "Grace Wanjiru"),
        ("government", "Klaus Weber"), ("government", "Ravi Kumar"),
        ("igo", "Alexander Ntoko"), ("igo", "Claire Dubois"), ("igo", "Hamid Saleh"),
        ("private", "Marilyn Cade"),
        ("civil", "Anriette Esterhuysen"), ("civil", "Lea Kaspar"), ("civil", "Nairobi remote hub"),
        ("technical", "Markus Kummer"),
        ("academic", "Dhaka remote hub"), ("academic", "Marilia Maciel")]
    assert annex[0] == {"name": "Ana Souza", "organisation": "Ministry of Communications", "country": "BR",
                        "group": "government", "group_label": "Governments", "mode": "onsite"}


def test_presenters_in_speaking_order(transcript):
    presenters = figures(transcript.meeting, [transcript])["presenters"]
    assert [p["name"] for p in presenters] == ["Anriette Esterhuysen", "Alexander Ntoko", "Markus Kummer"]


def test_contributions(transcript):
    c = figures(transcript.meeting, [transcript])["contributions"]
    assert (c["governments"], c["igo_organisations"], c["others"], c["interventions"]) == (4, 0, 5, 10)
    assert _counts(c["by_group"], "count", "interventions") == {
        "government": (4, 5), "igo": (1, 1), "private": (1, 1), "civil": (3, 3), "technical": (0, 0),
        "academic": (0, 0)}
    assert c["by_kind"] == {"normal": 8, "point_of_order": 0, "right_of_reply": 1, "on_behalf": 1,
                            "presentation": 0, "interposed_question": 0}
    assert c["on_behalf_of"] == ["the Secretary-General of the ITU", "the G77 and China"]
    assert {r["country"]: (r["interventions"], r["speakers"]) for r in c["by_country"]} == {
        "BR": (2, 2), "CH": (1, 1), "DE": (1, 1), "IN": (2, 2), "KE": (2, 2), "US": (1, 1), "ZA": (1, 1)}


def test_statements_on_behalf_of_a_group_can_be_left_out(transcript):
    c = figures(transcript.meeting, [transcript], CountingRules(on_behalf="exclude"))["contributions"]
    assert (c["governments"], c["others"], c["interventions"]) == (3, 5, 10)  # India spoke only for the G77


def test_floor_time_and_waiting(transcript):
    floor = figures(transcript.meeting, [transcript])["floor"]
    assert floor["total_ms"] == 29 * MIN  # Cade's open intervention runs to the session's end
    assert floor["avg_wait_ms"] == 345_000  # 46 minutes over 8 requests
    assert {r["group"]: (r["interventions"], r["floor_ms"], r["waited"], r["avg_wait_ms"])
            for r in floor["by_group"]} == {
        "government": (5, 13 * MIN, 5, 252_000), "igo": (1, 4 * MIN, 0, None), "private": (1, 3 * MIN, 1, 9 * MIN),
        "civil": (3, 9 * MIN, 2, 8 * MIN), "technical": (0, 0, 0, None), "academic": (0, 0, 0, None)}
    assert {r["side"]: (r["interventions"], r["floor_ms"], r["avg_wait_ms"]) for r in floor["by_side"]} == {
        "room": (7, 22 * MIN, 5 * MIN), "remote": (2, 5 * MIN, 330_000), "hub": (1, 2 * MIN, 10 * MIN)}


def test_questions(transcript):
    q = figures(transcript.meeting, [transcript])["questions"]
    assert {k: q[k] for k in ("received", "published", "answered", "on_screen", "pending", "dismissed")} == {
        "received": 7, "published": 4, "answered": 1, "on_screen": 1, "pending": 1, "dismissed": 3}
    assert q["dismissed_by_reason"] == {"duplicate": 2, "off_topic": 1}
    assert q["by_theme"] == [{"theme": "", "questions": 1}, {"theme": "Enhanced cooperation", "questions": 6}]
    assert [(r["group"], r["questions"]) for r in q["by_group"]] == [
        ("government", 1), ("private", 1), ("civil", 3), ("technical", 1), ("academic", 1)]


def test_unserved_requests(transcript):
    u = figures(transcript.meeting, [transcript])["unserved"]
    assert (u["total"], u["withdrawn"], u["waiting"]) == (2, 1, 1)
    assert u["by_side"] == {"room": 1, "remote": 1, "hub": 0}
    assert [(r["group"], r["requests"]) for r in u["by_group"]] == [("igo", 1), ("technical", 1)]


def test_meeting_figures_count_each_country_and_person_once(meeting):
    f = figures(meeting.meeting, list(meeting.sessions))
    assert f["scope"] == "meeting" and f["sessions"] == ["ec-dialogue", "main-session"]
    a, c = f["attendance"], f["contributions"]
    assert (a["governments"], a["others"], a["persons"]) == (5, 12, 18)  # France joins; BR and APC come back
    assert [(h["city"], h["people"]) for h in a["hubs"]] == [("Dhaka", 12), ("Nairobi", 30)]  # largest day
    assert len(f["annex"]) == 16
    assert (c["governments"], c["others"], c["interventions"]) == (5, 5, 12)
    assert f["questions"]["received"] == 8 and f["questions"]["published"] == 5
    assert f["floor"]["total_ms"] == 29 * MIN + 5 * MIN


def test_unknown_groups_are_reported_not_dropped(session_dict):
    session_dict["attendance"].append({**attendee(11, START), "participant_id": 99, "group": "youth"})
    t = Transcript.from_dict(session_dict)
    a = figures(t.meeting, [t])["attendance"]
    assert [r["group"] for r in a["by_group"]] == [*GROUPS, "youth"] and a["others"] == 13


def test_rules_are_checked():
    with pytest.raises(ValueError, match="igo_as"):
        CountingRules(igo_as="states")
    with pytest.raises(ValueError, match="on_behalf"):
        CountingRules(on_behalf="nobody")


def test_empty_session_has_zero_figures(session_dict):
    for key in ("segments", "interventions", "unserved_requests", "questions", "attendance"):
        session_dict[key] = []
    t = Transcript.from_dict(session_dict)
    f = figures(t.meeting, [t])
    assert f["attendance"]["persons"] == 0 and f["floor"]["avg_wait_ms"] is None and f["annex"] == []


def _with_roster(session_dict: dict, **changes: object) -> Transcript:
    """The session with a hub registered at the meeting and every attendee registered, plus two no-shows."""
    hub = {"id": 3, "name": "Nairobi hub", "city": "Nairobi", "country": "KE", "host_organisation": "KICTANet",
           "group": "civil", "expected_headcount": 12, "registered": 1}
    records = session_dict["attendance"]
    once = {a["participant_id"]: a for a in records if a["participant_id"] != 16}  # Kenya joined twice
    registrations = [{k: a[k] for k in ("participant_id", "name", "organisation", "country", "group", "mode",
                                        "listed")} | {"hub_id": None} for a in once.values()]
    registrations += [{"participant_id": 40, "name": "No Show", "organisation": "", "country": "BR",
                       "group": "government", "mode": "remote", "hub_id": None, "listed": True},
                      {"participant_id": 41, "name": "Also Absent", "organisation": "", "country": "NG",
                       "group": "civil", "mode": "hub", "hub_id": 3, "listed": True}]
    # The Nairobi hub takes part as itself (not a person) through its own identity.
    for a in records:
        if a["participant_id"] == 16:
            a.update({"kind": "hub", "hub_id": 3, "hub_city": None, "hub_country": None, "hub_headcount": None})
    session_dict.update({"hubs": [hub], "registrations": registrations, **changes})
    return Transcript.from_dict(session_dict)


def test_registered_and_attended_are_counted_apart_by_group_and_country(session_dict):
    t = _with_roster(session_dict)
    a = figures(t.meeting, [t])["attendance"]
    assert (a["registered"], a["persons"]) == (18, 16)  # the hub itself is not a person; two did not come
    assert _counts(a["by_group"], "registered", "count", "persons") == {
        "government": (4, 4, 5), "igo": (3, 3, 3), "private": (1, 1, 1), "civil": (4, 3, 3),
        "technical": (2, 2, 2), "academic": (2, 2, 2)}
    countries = {r["country"]: (r["registered"], r["attended"]) for r in a["by_country"]}
    assert countries["BR"] == (4, 3) and countries["NG"] == (1, 0) and countries["KE"] == (1, 1)
    assert [(h["name"], h["expected_headcount"], h["registered"], h["people"]) for h in a["hubs"]] == [
        ("Dhaka remote hub", 12, 1, 12), ("Nairobi hub", 12, 1, 12)]
    assert a["hubs_by_country"] == [{"country": "BD", "hubs": 1, "people": 12}, {"country": "KE", "hubs": 1,
                                                                                 "people": 12}]
    assert "Nairobi remote hub" not in [r["name"] for r in figures(t.meeting, [t])["annex"]]


def test_a_session_never_started_was_not_held_and_had_no_attendance(session_dict):
    session_dict["session"]["started_ms"] = session_dict["session"]["ended_ms"] = None
    t = Transcript.from_dict(session_dict)
    f = figures(t.meeting, [t])
    assert (f["held"], f["not_held"]) == ([], ["ec-dialogue"])
    assert f["attendance"]["persons"] == 0 and f["attendance"]["hubs"] == [] and f["annex"] == []
