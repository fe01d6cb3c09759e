"""Plain text in the IGF raw-captioning layout."""

from __future__ import annotations

from transcripts.formats import txt
from transcripts.formats.common import DISCLAIMER


def test_title_block_disclaimer_and_turns(transcript):
    lines = txt.render(transcript).split("\n")
    assert lines[:8] == ["RAW CAPTIONING", "", "INTERNET GOVERNANCE FORUM 2012", "BAKU EXPO CENTER, AZERBAIJAN",
                         "ENHANCED COOPERATION: FROM DEADLOCK TO DIALOGUE", "ROOM 3", "5 NOVEMBER 2012",
                         "10:32-11:04 (Asia/Baku)"]
    assert DISCLAIMER in lines
    assert DISCLAIMER.startswith("This is the output of the real-time captioning taken during the session.")
    assert DISCLAIMER.endswith("It is posted as an aid, but should not be treated as an authoritative record.")
    turns = [line for line in lines if line.startswith(">>")]
    assert turns[0] == ">> Testing, one, two."
    assert turns[2].startswith(">> ANRIETTE ESTERHUYSEN: Thank you, Chair. Enhanced cooperation")
    assert turns[3] == ">> [ Applause ]"
    assert turns[-1] == ">> GRACE WANJIRU: Kenya wishes to exercise its right of reply."
    assert len(turns) == 11
    assert not any(line.startswith("[") and line.endswith("]") and ":" in line for line in lines)


def test_relative_stamps(transcript):
    lines = txt.render(transcript, stamps=True).split("\n")
    assert "[00:00:00] >> Testing, one, two." in lines  # typed before the start: shown at zero
    assert "[00:06:13] >> CHAIR: Thank you. Brazil, you have the floor." in lines
    assert "[00:28:00] >> GRACE WANJIRU: Kenya wishes to exercise its right of reply." in lines


def test_local_clock_stamps(transcript):
    lines = txt.render(transcript, stamps=True, clock="local").split("\n")
    assert "[10:31:30] >> Testing, one, two." in lines
    assert "[11:00:00] >> GRACE WANJIRU: Kenya wishes to exercise its right of reply." in lines
