"""Caption events round-trip through their plain-dict form."""

from __future__ import annotations

import json

import pytest

from server.domain.captions.events import (
    Captioner,
    CaptionerHandedOver,
    PartialUpdated,
    SegmentCorrected,
    SegmentFinalised,
    caption_event,
)
from server.domain.errors import InvalidInput
from server.domain.events import Event

NOW = 1_715_000_000_000
ALICE = Captioner("cap-1", "Alice")
BOB = Captioner("cap-2", "Bob")


@pytest.mark.parametrize(
    "event",
    [
        PartialUpdated("s1", "en", "Hello wor", ALICE, NOW),
        PartialUpdated("s1", "en", "", None, NOW),
        SegmentFinalised(
            "s1", "fr", 7, "Señora Présidente", NOW - 900, NOW, NOW - 950, ALICE, "CHAIR", True, "iv-3", 1
        ),
        SegmentCorrected("s1", "en", 7, "new", "old", 2, BOB, NOW),
        CaptionerHandedOver("s1", "en", ALICE, BOB, NOW),
    ],
)
def test_payload_round_trip(event: Event) -> None:
    stored = json.loads(json.dumps(event.payload()))
    assert caption_event(event.name, stored) == event


def test_segment_of_a_finalised_event() -> None:
    event = SegmentFinalised("s1", "en", 7, "text", 1, 2, None, ALICE, None, False, None, 1)
    segment = event.segment()
    assert (segment.seq, segment.text, segment.captioner, segment.revision) == (7, "text", ALICE, 1)


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("question_submitted", {}),
        ("caption_partial", {"session_id": "s1"}),
        ("caption_partial", {"session_id": "s1", "lang": "en", "text": "", "captioner": {"id": "c"}, "at_ms": 1}),
    ],
)
def test_unknown_or_malformed_payload_is_refused(name: str, payload: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        caption_event(name, payload)
