"""Caption events and the segments they carry."""

from __future__ import annotations

from server.domain.captions.events import Captioner, SegmentFinalised

ALICE = Captioner("cap-1", "Alice")


def test_segment_of_a_finalised_event() -> None:
    event = SegmentFinalised("s1", "en", 7, "text", 1, 2, None, ALICE, None, False, None, 1)
    segment = event.segment()
    assert (segment.seq, segment.text, segment.captioner, segment.revision) == (7, "text", ALICE, 1)

