"""Speaker turns from the floor log and the captioners' ``>>`` marks."""

from __future__ import annotations

import pytest

from transcripts import Transcript
from transcripts.turns import split_markers

from .meeting import segment


def _turns(transcript: Transcript, lang: str = "en") -> list[tuple[str | None, str]]:
    return [(t.speaker, t.text) for t in transcript.turns(lang)]


def test_turns_of_the_fixture_session(transcript):
    assert _turns(transcript) == [
        (None, "Testing, one, two."),
        ("CHAIR", "Good morning and welcome to this session on enhanced cooperation. "
                  "We have a full list of speakers & little time."),
        ("Anriette Esterhuysen", "Thank you, Chair. " + transcript.segments[4].text),
        (None, "[ Applause ]"),
        ("Alexander Ntoko", "Thank you. I speak on behalf of the Secretary-General of the ITU. "
                            "Cooperation <already> happens in many fora."),
        ("CHAIR", "Thank you. Brazil, you have the floor."),
        ("Ana Souza", "Brazil supports a multistakeholder working group."),
        ("Parminder Singh", "Parminder here, speaking remotely."),
        ("Ravi Kumar", "On behalf of the G77 and China, we call for an intergovernmental mechanism."),
        (None, "We can hear you from Nairobi."),
        ("Grace Wanjiru", "Kenya wishes to exercise its right of reply."),
    ]
    assert [t.index for t in transcript.turns()] == list(range(11))


def test_turns_carry_their_intervention(transcript):
    turns = transcript.turns()
    assert turns[2].intervention.id == 1 and turns[2].intervention.group == "civil"
    assert turns[1].intervention is None


def test_a_mark_inside_a_segment_splits_its_time(transcript):
    ntoko, chair = transcript.turns()[4:6]
    seg = transcript.segments[7]
    assert ntoko.parts[-1].segment is seg and chair.parts[0].segment is seg
    assert ntoko.parts[-1].start_ms == seg.first_ms
    assert ntoko.parts[-1].end_ms == chair.parts[0].start_ms
    assert seg.first_ms < chair.parts[0].start_ms < seg.final_ms == chair.end_ms
    assert ntoko.parts[-1].first and not chair.parts[0].first


def test_french_label_with_accent_and_spaced_colon(transcript):
    assert _turns(transcript, "fr") == [("PRÉSIDENT", "Bonjour et bienvenue."),
                                        ("Anriette Esterhuysen", "Merci, Monsieur le Président.")]


@pytest.mark.parametrize("text, expected", [
    (">> MODERATOR: Welcome.", [(True, "MODERATOR", "Welcome.")]),
    (">> MR. SMITH (Kenya): Thank you.", [(True, "MR. SMITH (Kenya)", "Thank you.")]),
    (">> Thank you: we agree.", [(True, None, "Thank you: we agree.")]),
    ("Indeed. >> Next speaker, please.", [(False, None, "Indeed."), (True, None, "Next speaker, please.")]),
    ("[ Applause ]", [(False, None, "[ Applause ]")]),
    ("Ratio is 3:1 here", [(False, None, "Ratio is 3:1 here")]),
    (">>", [(True, None, "")]),
    ("", []),
])
def test_split_markers(text, expected):
    assert [(p.new_turn, p.name, p.text) for p in split_markers(text)] == expected


def test_unattributed_text_after_a_floor_turn_starts_an_unnamed_turn(session_dict):
    session_dict["segments"] = [segment(0, 0, "Thank you, Chair.", iid=1), segment(1, 5, "Next, please.")]
    assert _turns(Transcript.from_dict(session_dict)) == [("Anriette Esterhuysen", "Thank you, Chair."),
                                                          (None, "Next, please.")]


def test_segment_speaker_field_is_used_without_an_intervention(session_dict):
    session_dict["segments"] = [segment(0, 0, "Hello.", speaker="Moderator"),
                                segment(1, 5, "Again.", speaker="Moderator"), segment(2, 9, ">> Someone else.")]
    assert _turns(Transcript.from_dict(session_dict)) == [("Moderator", "Hello. Again."), (None, "Someone else.")]


def test_a_bare_mark_names_nobody_and_empty_turns_disappear(session_dict):
    session_dict["segments"] = [segment(0, 0, ">> CHAIR:"), segment(1, 3, "Let us begin."), segment(2, 6, ">>")]
    turns = Transcript.from_dict(session_dict).turns()
    assert [(t.speaker, t.text, t.index) for t in turns] == [("CHAIR", "Let us begin.", 0)]
    assert turns[0].label == "CHAIR"


def test_the_same_intervention_resumed_after_an_interjection_is_a_new_turn(session_dict):
    session_dict["segments"] = [segment(0, 0, "First point.", iid=3), segment(1, 4, ">> CHAIR: One minute left."),
                                segment(2, 8, "Second point.", iid=3)]
    assert _turns(Transcript.from_dict(session_dict)) == [
        ("Ana Souza", "First point."), ("CHAIR", "One minute left."), ("Ana Souza", "Second point.")]
