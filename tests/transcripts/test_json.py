"""JSON output: the export format itself plus resolved turns."""

from __future__ import annotations

import json

from transcripts import Transcript
from transcripts.formats import json as json_writer


def test_json_round_trips_through_from_dict(transcript):
    data = json.loads(json_writer.render(transcript))
    assert Transcript.from_dict(data) == transcript
    seg = data["segments"][3]
    assert seg == {"seq": 3, "lang": "en", "text": ">> ANRIETTE ESTERHUYSEN: Thank you, Chair.",
                   "first_ms": transcript.segments[3].first_ms, "final_ms": transcript.segments[3].final_ms,
                   "speaker": None, "intervention_id": 1, "captioner": "cart-1", "revision": 0}


def test_derived_turns_give_speakers_and_relative_times(transcript):
    derived = json.loads(json_writer.render(transcript))["derived"]
    assert derived["reference_ms"] == transcript.reference_ms
    en = derived["turns"]["en"]
    assert [t["speaker"] for t in en][:3] == [None, "CHAIR", "Anriette Esterhuysen"]
    assert en[2]["intervention_id"] == 1 and en[2]["segments"] == [3, 4] and en[2]["start_rel_ms"] == 60_000
    assert derived["turns"]["fr"][0]["speaker"] == "PRÉSIDENT"


def test_one_language(transcript):
    data = json.loads(json_writer.render(transcript, lang="fr"))
    assert {s["lang"] for s in data["segments"]} == {"fr"} and list(data["derived"]["turns"]) == ["fr"]
    assert len(Transcript.from_dict(data).segments) == 2

