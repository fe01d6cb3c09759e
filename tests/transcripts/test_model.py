"""Reading, checking and writing back the export format."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from transcripts import MeetingRecord, Transcript, TranscriptFormatError, load

from .meeting import START, meeting_export


def test_session_round_trips_through_to_dict(session_dict, transcript):
    again = Transcript.from_dict(transcript.to_dict())
    assert again == transcript
    assert transcript.to_dict() == session_dict


def test_meeting_round_trips_through_to_dict(meeting):
    assert MeetingRecord.from_dict(meeting.to_dict()) == meeting
    assert meeting.to_dict() == meeting_export()
    assert [t.session.id for t in meeting.sessions] == ["ec-dialogue", "main-session"]
    assert meeting.sessions[1].meeting is meeting.meeting


def test_load_picks_the_kind_by_format(session_dict):
    assert isinstance(load(session_dict), Transcript)
    assert isinstance(load(meeting_export()), MeetingRecord)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(format="srt"), "format: expected 'floorcast-transcript', got 'srt'"),
    (lambda d: d.update(format="floorcast-meeting"), "(this is a floorcast-meeting export)"),
    (lambda d: d.update(version=3), "version: unsupported version 3"),
    (lambda d: d["meeting"].update(timezone="Mars/Olympus"), "meeting.timezone: unknown IANA time zone"),
    (lambda d: d["segments"][2].update(first_ms="soon"), "segments[2].first_ms: expected an integer, got a string"),
    (lambda d: d["segments"][2].update(final_ms=d["segments"][2]["first_ms"] - 1), "segments[2].final_ms"),
    (lambda d: d["segments"][3].update(seq=2), "segments[3].seq: duplicate seq 2 for language 'en'"),
    (lambda d: d["segments"][3].update(intervention_id=99), "segments[3].intervention_id: unknown intervention 99"),
    (lambda d: d["interventions"][0].pop("name"), "interventions[0].name: required field is missing"),
    (lambda d: d["interventions"][0].update(mode="moon"), "interventions[0].mode: 'moon' is not one of"),
    (lambda d: d["questions"][1].update(show_name="yes"), "questions[1].show_name: expected true or false"),
    (lambda d: d["attendance"][0].update(participant_id=True), "attendance[0].participant_id: expected an integer"),
    (lambda d: d.update(segments={}), "segments: expected a list, got an object"),
    (lambda d: d["session"].update(themes=[1]), "session.themes: expected a list of strings"),
])
def test_invalid_exports_name_the_bad_field(session_dict, change, message):
    change(session_dict)
    with pytest.raises(TranscriptFormatError) as caught:
        Transcript.from_dict(session_dict)
    assert message in str(caught.value)


def test_non_object_input_is_refused():
    with pytest.raises(TranscriptFormatError, match="expected an object, got a list"):
        Transcript.from_dict([])


def test_meeting_sessions_must_have_unique_ids():
    data = meeting_export()
    data["sessions"][1]["session"]["id"] = "ec-dialogue"
    with pytest.raises(TranscriptFormatError, match="session ids must be unique"):
        MeetingRecord.from_dict(data)


def test_unknown_session_lists_the_known_ones(meeting):
    with pytest.raises(TranscriptFormatError, match="sessions: ec-dialogue, main-session"):
        meeting.session("nope")
    assert meeting.session("main-session").session.title == "Main Session: Taking Stock"


def test_times_relative_and_in_the_meeting_time_zone(transcript):
    assert transcript.reference_ms == START
    assert transcript.relative(START + 90_500) == 90_500
    local = transcript.local(START)
    assert (local.hour, local.minute, local.utcoffset()) == (10, 32, dt.timedelta(hours=4))


def test_scheduled_start_is_the_reference_before_the_session_starts(session_dict):
    session_dict["session"]["started_ms"] = None
    assert Transcript.from_dict(session_dict).reference_ms == session_dict["session"]["scheduled_start_ms"]


def test_languages_and_gaps(session_dict):
    t = Transcript.from_dict(session_dict)
    assert t.languages() == ["en", "fr"]
    assert t.language(None) == "en"
    assert t.seq_gaps("en") == []
    del session_dict["segments"][4:6]
    assert Transcript.from_dict(session_dict).seq_gaps("en") == [4, 5]
    with pytest.raises(TranscriptFormatError, match="available: en, fr"):
        t.language("de")


def test_end_falls_back_to_last_caption(session_dict):
    session_dict["session"]["ended_ms"] = None
    t = Transcript.from_dict(session_dict)
    assert t.end_ms == max(s["final_ms"] for s in session_dict["segments"])


def test_from_dict_does_not_keep_references_to_the_input(session_dict):
    before = copy.deepcopy(session_dict)
    t = Transcript.from_dict(session_dict)
    session_dict["segments"][0]["text"] = "changed"
    assert t.to_dict() == before
