"""SubRip: read back by the ``srt`` package with the same times and text."""

from __future__ import annotations

import datetime as dt

import srt

from transcripts.formats import srt as srt_writer
from transcripts.formats.cues import cues


def test_round_trip_through_the_srt_package(transcript):
    parsed = list(srt.parse(srt_writer.render(transcript)))
    expected = cues(transcript, mark=srt_writer.mark)  # the mark is wrapped with the words
    assert [s.index for s in parsed] == list(range(1, len(expected) + 1))
    for sub, cue in zip(parsed, expected, strict=True):
        assert sub.start == dt.timedelta(milliseconds=cue.start_ms)
        assert sub.end == dt.timedelta(milliseconds=cue.end_ms)
        assert sub.content == "\n".join(cue.lines)
        if cue.turn_start:
            assert sub.content.startswith(f">> {cue.speaker.upper()}: " if cue.speaker else ">> ")


def test_speaker_labels_and_times(transcript):
    text = srt_writer.render(transcript)
    assert ("2\n00:00:10,000 --> 00:00:14,000\n>> CHAIR: Good morning and welcome to this\n"
            "session on enhanced cooperation.\n") in text
    assert "Cooperation <already> happens" in text  # SubRip has no escaping; players show text as typed


def test_french_captions(transcript):
    parsed = list(srt.parse(srt_writer.render(transcript, lang="fr")))
    assert [s.content for s in parsed] == [">> PRÉSIDENT: Bonjour et bienvenue.",
                                           ">> ANRIETTE ESTERHUYSEN: Merci, Monsieur\nle Président."]
    assert srt.compose(parsed) == srt_writer.render(transcript, lang="fr")


def test_every_line_with_the_speaker_mark_fits_42_characters(session_dict):
    from transcripts import Transcript

    session_dict["interventions"][2]["name"] = "Anriette Esterhuysen-Van Der Merwe"
    parsed = list(srt.parse(srt_writer.render(Transcript.from_dict(session_dict))))
    lines = [line for sub in parsed for line in sub.content.split("\n")]
    assert any(line.startswith(">> ANRIETTE ESTERHUYSEN-VAN DER MERWE:") for line in lines)
    assert max(len(line) for line in lines) <= 42, [line for line in lines if len(line) > 42]
    assert all(len(sub.content.split("\n")) <= 2 for sub in parsed)
