"""SubRip: read back by the ``srt`` package with the same times and text."""

from __future__ import annotations

import datetime as dt

import srt

from transcripts.formats import srt as srt_writer
from transcripts.formats.cues import cues


def test_round_trip_through_the_srt_package(transcript):
    parsed = list(srt.parse(srt_writer.render(transcript)))
    expected = cues(transcript)
    assert [s.index for s in parsed] == list(range(1, len(expected) + 1))
    for sub, cue in zip(parsed, expected, strict=True):
        assert sub.start == dt.timedelta(milliseconds=cue.start_ms)
        assert sub.end == dt.timedelta(milliseconds=cue.end_ms)
        body = "\n".join(cue.lines)
        if cue.turn_start:
            body = f">> {cue.speaker.upper()}: {body}" if cue.speaker else f">> {body}"
        assert sub.content == body


def test_speaker_labels_and_times(transcript):
    text = srt_writer.render(transcript)
    assert "2\n00:00:10,000 --> 00:00:14,000\n>> CHAIR: Good morning and welcome to this session\n" in text
    assert "Cooperation <already> happens" in text  # SubRip has no escaping; players show text as typed


def test_french_captions(transcript):
    parsed = list(srt.parse(srt_writer.render(transcript, lang="fr")))
    assert [s.content for s in parsed] == [">> PRÉSIDENT: Bonjour et bienvenue.",
                                           ">> ANRIETTE ESTERHUYSEN: Merci, Monsieur le Président."]
    assert srt.compose(parsed) == srt_writer.render(transcript, lang="fr")
