"""Caption stream: tail editing, finalisation rules, CART conventions, handover, restore and corrections."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.captions.stream import (
    KEEP_SEGMENTS,
    Captioner,
    CaptionerHandedOver,
    CaptionStream,
    PartialUpdated,
    Segment,
    SegmentCorrected,
    SegmentFinalised,
    SpeakerContext,
    TailState,
)
from server.domain.errors import InvalidInput, NotFound
from server.domain.events import Event

NOW = 1_715_000_000_000
ALICE = Captioner("cap-1", "Alice (CART)")
BOB = Captioner("cap-2", "Bob (CART)")


def finals(events: list[Event]) -> list[SegmentFinalised]:
    """The SegmentFinalised events among ``events``."""
    return [e for e in events if isinstance(e, SegmentFinalised)]


def texts(stream: CaptionStream) -> list[str]:
    """Final texts of a stream in seq order."""
    return [s.text for s in stream.segments()]


def feed(stream: CaptionStream, *posts: str, captioner: Captioner = ALICE, now: int = NOW) -> list[Event]:
    """Append several posts and collect every event."""
    out: list[Event] = []
    for post in posts:
        out += stream.append(post, captioner, now)
    return out


# -- backspaces and control characters --------------------------------------------------------------


@pytest.mark.parametrize(
    ("posts", "expected"),
    [
        # The tail persists between posts, so backspaces in the second post edit the first.
        (("Helo wor", "\x08\x08\x08\x08\x08lo world\n"), ["Hello world"]),
        # Four backspaces remove " wor" only, leaving "Helo".
        (("Helo wor", "\x08\x08\x08\x08lo world\n"), ["Helolo world"]),
        (("Helo wor", "\x7f\x7f\x7f\x7f\x7flo world\n"), ["Hello world"]),
        (("Done.\n", "oops", "\x08" * 12, "Next\n"), ["Done.", "Next"]),
        (("a\tb\x00c\x1b\n",), ["a bc"]),
    ],
)
def test_backspaces_edit_the_tail_across_posts(posts: tuple[str, ...], expected: list[str]) -> None:
    stream = CaptionStream("s1", "en")
    feed(stream, *posts)
    assert texts(stream) == expected
    assert stream.tail == ""


def test_extra_backspaces_never_reach_final_text() -> None:
    stream = CaptionStream("s1", "en")
    feed(stream, "Final line\n", "ab")
    events = stream.append("\x08" * 10 + "cd", ALICE, NOW + 1)
    assert texts(stream) == ["Final line"]
    assert stream.tail == "cd"
    assert events == [PartialUpdated("s1", "en", "cd", ALICE, NOW + 1)]


def test_non_ascii_text_is_kept() -> None:
    stream = CaptionStream("s1", "fr")
    feed(stream, "Señora Présidente — 発言\n")
    assert texts(stream) == ["Señora Présidente — 発言"]


# -- line breaks ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "posts",
    [
        ("one\ntwo\n",),
        ("one\r\ntwo\r\n",),
        ("one\rtwo\r",),
        ("one\r", "\ntwo\r", "\n"),  # a CR LF pair split across posts is still one line break
        ("one\n\n\n\ntwo\n",),  # empty lines do not use up sequence numbers
        ("one\u2028two\n",),
    ],
)
def test_every_line_ending_finalises_once(posts: tuple[str, ...]) -> None:
    stream = CaptionStream("s1", "en")
    events = feed(stream, *posts)
    assert [(e.seq, e.text) for e in finals(events)] == [(1, "one"), (2, "two")]


def test_seq_is_gap_free_across_rules() -> None:
    stream = CaptionStream("s1", "en")
    events = feed(stream, "First line\n\n", "  \n", ">> >> ", "This sentence is long enough. And ",
                  "then a line that runs past the thirty character limit\n", "Last")
    events += stream.append("Other writer", BOB, NOW)
    events += stream.flush(NOW)
    seqs = [e.seq for e in finals(events)]
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(seqs) == 4
    assert stream.last_seq == seqs[-1]


# -- the captioner decides where a line ends ---------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Short one. Still the same line because only a line break ends it. Now",
    "We thank Mr. Smith for the very kind words of the",
    "the delegation of the republic supports the proposal on internet governance and capacity building for all the"
    " stakeholders in every region and then some more words that a chair would say",
    "議長、ありがとうございます",
    "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherungsanstalt" * 3,
])
def test_only_a_line_break_finalises_whatever_the_length_or_sentences(text: str) -> None:
    stream = CaptionStream("s1", "ja")
    feed(stream, text)
    assert (texts(stream), stream.tail) == ([], text)
    feed(stream, "\n")
    assert texts(stream) == [text]


# -- CART conventions -----------------------------------------------------------------------------------


def test_cart_marker_names_the_speaker() -> None:
    stream = CaptionStream("s1", "en")
    events = feed(stream, "previous words >> ANRIETTE ESTERHUYSEN: Thank you")
    assert [(e.text, e.speaker, e.new_turn) for e in finals(events)] == [("previous words", None, False)]
    assert stream.tail == "Thank you"
    events = stream.append(", chair.\nSecond line\n", ALICE, NOW)
    assert [(e.text, e.speaker, e.new_turn) for e in finals(events)] == [
        ("Thank you, chair.", "ANRIETTE ESTERHUYSEN", True),
        ("Second line", "ANRIETTE ESTERHUYSEN", False),
    ]


def test_cart_marker_split_across_posts() -> None:
    stream = CaptionStream("s1", "en")
    feed(stream, "Thanks >", "> MS. SMITH", ": Hello\n")
    assert [(s.text, s.speaker, s.new_turn) for s in stream.segments()] == [
        ("Thanks", None, False),
        ("Hello", "MS. SMITH", True),
    ]


def test_bare_marker_starts_a_turn_with_unknown_speaker() -> None:
    stream = CaptionStream("s1", "en")
    feed(stream, ">> CHAIR: Welcome.\n>> Thank you: I have three points\n")
    assert [(s.text, s.speaker, s.new_turn) for s in stream.segments()] == [
        ("Welcome.", "CHAIR", True),
        ("Thank you: I have three points", None, True),  # a sentence, not a name
    ]


def test_sound_descriptions_are_kept() -> None:
    stream = CaptionStream("s1", "en")
    feed(stream, "[ Applause ]\n")
    assert texts(stream) == ["[ Applause ]"]


# -- the floor ----------------------------------------------------------------------------------------------


def test_segments_carry_the_floor_and_a_typed_name_wins() -> None:
    stream = CaptionStream("s1", "en")
    floor = SpeakerContext(intervention_id="iv-7", speaker="Anriette Esterhuysen")
    stream.append("Good morning\n", ALICE, NOW, speaker_context=floor)
    stream.append(">> CHAIR: Please conclude\n", ALICE, NOW, speaker_context=floor)
    stream.append("Thank you\n", ALICE, NOW, speaker_context=None)
    stream.append("Next question\n", ALICE, NOW, speaker_context=SpeakerContext("iv-8", "Raúl Echeberría"))
    assert [(s.text, s.speaker, s.intervention_id) for s in stream.segments()] == [
        ("Good morning", "Anriette Esterhuysen", "iv-7"),
        ("Please conclude", "CHAIR", "iv-7"),
        # The floor moved on, so the typed name of the previous turn no longer applies.
        ("Thank you", None, None),
        ("Next question", "Raúl Echeberría", "iv-8"),
    ]


def test_flush_uses_the_floor_at_finalisation() -> None:
    stream = CaptionStream("s1", "en")
    stream.append("still talking", ALICE, NOW, speaker_context=None)
    events = stream.flush(NOW + 2000, speaker_context=SpeakerContext(3, "Speaker"))
    assert [(e.text, e.intervention_id, e.speaker, e.final_ms) for e in finals(events)] == [
        ("still talking", 3, "Speaker", NOW + 2000)
    ]


# -- several captioners ---------------------------------------------------------------------------------------


def test_two_captioners_keep_their_own_lines() -> None:
    stream = CaptionStream("s1", "en")
    stream.append("Alice was typing", ALICE, NOW)
    events = stream.append("Bob continues", BOB, NOW + 500)
    # A handover is a change of who writes, not a line break.
    assert events == [
        CaptionerHandedOver("s1", "en", ALICE, BOB, NOW + 500),
        PartialUpdated("s1", "en", "Bob continues", BOB, NOW + 500),
    ]
    assert stream.last_captioner == BOB
    assert (stream.tail_of("cap-1"), stream.tail_of("cap-2"), stream.tail) == (
        "Alice was typing", "Bob continues", "Alice was typing Bob continues")
    # Bob's backspaces reach only his own line; each line is finalised by its own writer, numbered in that order.
    stream.append("\x08" * 40 + "ok\n", BOB, NOW + 600)
    stream.append(" her sentence.\n", ALICE, NOW + 700)
    assert [(s.seq, s.text, s.captioner) for s in stream.segments()] == [
        (1, "ok", BOB), (2, "Alice was typing her sentence.", ALICE)]
    assert stream.segment(2).first_ms == NOW


def test_one_captioner_from_two_tools_writes_two_lines() -> None:
    stream = CaptionStream("s1", "en")
    stream.append("from the bridge", ALICE, NOW, writer="1:bridge")
    stream.append("from zoom\n", ALICE, NOW + 1, writer="1:zoom")
    assert [(s.text, s.writer) for s in stream.segments()] == [("from zoom", "1:zoom")]
    assert stream.tail_of("1:bridge") == "from the bridge"


def test_flush_idle_finalises_only_idle_tails() -> None:
    stream = CaptionStream("s1", "en")
    stream.append("idle line", ALICE, NOW)
    stream.append("busy line", BOB, NOW + 1500)
    events = stream.flush_idle(NOW + 2000, 2000)
    assert [(e.text, e.final_ms) for e in finals(events)] == [("idle line", NOW + 2000)]
    assert stream.tail == "busy line"


def test_no_handover_for_the_same_captioner_or_an_empty_post() -> None:
    stream = CaptionStream("s1", "en")
    events = feed(stream, "a", "b") + stream.append("", BOB, NOW) + stream.append("\x00", BOB, NOW)
    events += stream.set_tail("", BOB, NOW)
    assert not [e for e in events if isinstance(e, CaptionerHandedOver)]
    assert stream.tail == "ab"
    assert stream.last_captioner == ALICE


# -- set_tail from the captioner page ------------------------------------------------------------------------


def test_set_tail_replaces_the_tail_and_keeps_times_of_unchanged_text() -> None:
    stream = CaptionStream("s1", "en")
    stream.set_tail("Hello", ALICE, NOW)
    events = stream.set_tail("Hello wrld", ALICE, NOW + 1000)
    assert events == [PartialUpdated("s1", "en", "Hello wrld", ALICE, NOW + 1000)]
    stream.set_tail("Hello world", ALICE, NOW + 2000)
    (segment,) = finals(stream.flush(NOW + 5000))
    assert (segment.text, segment.first_ms, segment.final_ms) == ("Hello world", NOW, NOW + 5000)

    stream.set_tail("Jello", ALICE, NOW + 6000)
    assert stream.set_tail("Hello", ALICE, NOW + 7000)
    assert stream.tail_first_ms == NOW + 7000


def test_set_tail_with_line_breaks_finalises_and_reports_the_rest() -> None:
    stream = CaptionStream("s1", "en")
    stream.append("typed ", ALICE, NOW)
    events = stream.set_tail("first line\nsecond", ALICE, NOW + 1)
    assert [e.text for e in finals(events)] == ["first line"]
    assert events[-1] == PartialUpdated("s1", "en", "second", ALICE, NOW + 1)
    assert stream.set_tail("", ALICE, NOW + 2) == [PartialUpdated("s1", "en", "", ALICE, NOW + 2)]
    assert texts(stream) == ["first line"]


def test_set_tail_completes_a_speaker_name_started_before() -> None:
    stream = CaptionStream("s1", "en")
    stream.set_tail(">> ANRIE", ALICE, NOW)
    assert stream.tail == "ANRIE"
    stream.set_tail("ANRIETTE: Hello", ALICE, NOW + 1)
    (segment,) = finals(stream.flush(NOW + 2))
    assert (segment.text, segment.speaker, segment.new_turn) == ("Hello", "ANRIETTE", True)


# -- partial updates, times, flush --------------------------------------------------------------------------


def test_one_partial_per_post_and_times_of_first_character() -> None:
    stream = CaptionStream("s1", "en")
    assert stream.append("Good ", ALICE, NOW) == [PartialUpdated("s1", "en", "Good ", ALICE, NOW)]
    events = stream.append("morning\nand wel", ALICE, NOW + 800, sender_ms=NOW - 50)
    assert events == [
        SegmentFinalised("s1", "en", 1, "Good morning", NOW, NOW + 800, None, ALICE, None, False, None, 1),
        PartialUpdated("s1", "en", "and wel", ALICE, NOW + 800),
    ]
    (segment,) = finals(stream.append("come\n", ALICE, NOW + 1600))
    assert (segment.first_ms, segment.sender_ms) == (NOW + 800, NOW - 50)


def test_flush_of_an_empty_tail_does_nothing() -> None:
    stream = CaptionStream("s1", "en")
    assert stream.flush(NOW) == []
    stream.append("idle", ALICE, NOW)
    assert stream.flush(NOW + 2000) == [
        SegmentFinalised("s1", "en", 1, "idle", NOW, NOW + 2000, None, ALICE, None, False, None, 1),
        PartialUpdated("s1", "en", "", ALICE, NOW + 2000),
    ]
    assert stream.flush(NOW + 4000) == []


def test_a_line_keeps_the_sender_time_of_its_first_character() -> None:
    stream = CaptionStream("s1", "en")
    stream.append("Hello ", ALICE, NOW, sender_ms=NOW - 120)
    events = stream.append("everyone\n", ALICE, NOW + 10, sender_ms=NOW - 100)
    assert events == [
        SegmentFinalised("s1", "en", 1, "Hello everyone", NOW, NOW + 10, NOW - 120, ALICE, None, False, None, 1),
        PartialUpdated("s1", "en", "", ALICE, NOW + 10),
    ]
    assert stream.append("  \r\n", ALICE, NOW) == []


def test_events_serialise_to_plain_json() -> None:
    stream = CaptionStream("s1", "en")
    events = feed(stream, "one\n", "two") + stream.append("three", BOB, NOW)
    events += stream.correct(1, "One", BOB, NOW)
    names = {e.name for e in events}
    assert names == {"caption_segment", "caption_partial", "captioner_handed_over", "caption_corrected"}
    for event in events:
        payload = event.payload()
        assert json.loads(json.dumps(payload)) == payload
    assert events[0].payload()["captioner"] == {"id": "cap-1", "label": "Alice (CART)"}


def test_non_text_is_refused_before_anything_changes() -> None:
    stream = CaptionStream("s1", "en")
    stream.append("kept", ALICE, NOW)
    with pytest.raises(InvalidInput):
        stream.append(b"bytes", BOB, NOW)  # type: ignore[arg-type]  # the wrong type is the point of the test
    assert (stream.tail, stream.last_captioner) == ("kept", ALICE)


# -- restore --------------------------------------------------------------------------------------------------


def test_restore_continues_sequence_tail_and_captioner() -> None:
    old = Segment(41, "Earlier", NOW - 9000, NOW - 8000, None, ALICE, None, False, None, 1)
    stream = CaptionStream.restore("s1", "en", 41, [TailState("cap-1", "Helo wo", NOW - 3000, ALICE, NOW - 2000)],
                                   ALICE, segments=[old])
    assert (stream.last_seq, stream.tail, stream.tail_first_ms) == (41, "Helo wo", NOW - 3000)
    events = stream.append("\x08\x08\x08\x08lo world\n", ALICE, NOW)
    assert [(e.seq, e.text, e.first_ms) for e in finals(events)] == [(42, "Hello world", NOW - 3000)]
    events = stream.append("x", BOB, NOW)
    assert CaptionerHandedOver("s1", "en", ALICE, BOB, NOW) in events
    assert stream.correct(41, "Earlier on", ALICE, NOW)[0].revision == 2


def test_restore_reports_only_changes_to_the_tail() -> None:
    stream = CaptionStream.restore("s1", "en", 0, [], None)
    assert stream.flush(NOW) == []
    assert stream.append("hi", ALICE, NOW) == [PartialUpdated("s1", "en", "hi", ALICE, NOW)]


# Posts that leave a line mid-way in every state a tail can be in between posts: a turn waiting for its first line,
# a name being typed after ``>>``, a typed speaker's line, a tool's own times, a window re-sent, a handover.
POSTS = [("cap-1", ALICE, "Good mor", 100, False), ("cap-1", ALICE, "ning.\n>", 200, False),
         ("cap-1", ALICE, "> Ms. DI", 300, False), ("cap-1", ALICE, "AZ: Thank", 400, False),
         ("cap-2", BOB, "Other writer", 450, False), ("cap-1", ALICE, "Ms. DIAZ\nThank you.\nMore", 500, True),
         ("cap-1", ALICE, "\x08\x08\x08\x08And then", 600, False), ("cap-2", BOB, " goes on\n", 700, False),
         ("cap-1", ALICE, ".\n", 800, False)]


@pytest.mark.parametrize("cut", range(1, len(POSTS)), ids=lambda cut: f"after post {cut}")
def test_a_copy_caught_up_from_stored_tails_continues_exactly_like_the_original(cut: int) -> None:
    """Another node that has only what storage kept (tails and segments) finishes every line as one process does."""
    ctx = SpeakerContext("int-1", "Chair")
    original = CaptionStream("s1", "en")
    elsewhere = CaptionStream("s1", "en")  # the other node's copy: made when nothing was stored yet
    for writer, who, text, at, window in POSTS[:cut]:
        original.append(text, who, NOW + at, sender_ms=NOW + at - 7, speaker_context=ctx, writer=writer,
                        window=window)
    elsewhere.catch_up(original.last_seq, original.tails(), original.last_captioner, segments=original.segments())
    assert (elsewhere.tail, elsewhere.tails(), elsewhere.segments()) == (original.tail, original.tails(),
                                                                         original.segments())
    rest: dict[str, list[Event]] = {"original": [], "elsewhere": []}
    for writer, who, text, at, window in POSTS[cut:]:
        for name, stream in (("original", original), ("elsewhere", elsewhere)):
            rest[name] += stream.append(text, who, NOW + at, sender_ms=NOW + at - 7, speaker_context=ctx,
                                        writer=writer, window=window)
    assert rest["elsewhere"] == rest["original"]
    assert elsewhere.segments() == original.segments()


def test_a_change_taken_back_leaves_the_copy_ready_to_catch_up() -> None:
    """A change that could not be stored (another node stored first) is taken back from the segments; catching up
    with what was stored then gives exactly the stored stream, and the change applies on top of it."""
    stored = CaptionStream("s1", "en")
    feed(stored, ">> CHAIR: Opening.\n", "Second.\n")
    copy = CaptionStream.restore("s1", "en", stored.last_seq, stored.tails(), stored.last_captioner,
                                 segments=stored.segments())
    stored.append(">> Ms. DIAZ: Elsewhere.\n", BOB, NOW + 50, writer="cap-2")  # the other node's change
    lost = copy.append("Mine.\nand", ALICE, NOW + 60) + copy.correct(1, "Opening!", ALICE, NOW + 60)
    copy.revert(lost)
    copy.catch_up(stored.last_seq, stored.tails(), stored.last_captioner, segments=[stored.segment(3)])
    assert (copy.segments(), copy.tails(), copy.last_captioner) == (stored.segments(), stored.tails(),
                                                                    stored.last_captioner)
    again = copy.append("Mine.\nand", ALICE, NOW + 60)
    assert again == stored.append("Mine.\nand", ALICE, NOW + 60)
    assert [(e.seq, e.new_turn, e.speaker) for e in finals(again)] == [(4, True, "CHAIR")]  # her typed speaker still


def test_a_tail_stored_before_its_state_was_kept_resumes_with_what_there_is() -> None:
    older = Segment(1, "Said before.", NOW - 9000, NOW - 8000, None, ALICE, None, False, None, 1)
    stream = CaptionStream.restore("s1", "en", 1, [TailState("cap-1", "Sec", NOW - 3000, ALICE, NOW - 2000)], ALICE,
                                   segments=[older])
    # Window mode still knows the writer's last line: it comes from the segments.
    events = stream.append("Said before.\nSecond line.\n", ALICE, NOW, window=True)
    assert [(e.text, e.first_ms) for e in finals(events)] == [("Second line.", NOW - 3000)]


# -- corrections -----------------------------------------------------------------------------------------------


def test_correct_bumps_revision_and_keeps_the_latest_text() -> None:
    stream = CaptionStream("s1", "en")
    feed(stream, "The meeting is adjourned\n", "Next\n")
    events = stream.correct(1, "The meeting is not adjourned", BOB, NOW + 10)
    assert events == [
        SegmentCorrected("s1", "en", 1, "The meeting is not adjourned", "The meeting is adjourned", 2, BOB, NOW + 10)
    ]
    stream.correct(1, "The meeting is not adjourned yet\n", BOB, NOW + 20)
    segment = stream.segment(1)
    assert (segment.text, segment.revision, segment.captioner) == ("The meeting is not adjourned yet", 3, ALICE)
    assert stream.correct(1, "The meeting is not adjourned yet", BOB, NOW + 30) == []
    assert stream.segment(2).revision == 1
    assert stream.last_captioner == ALICE  # a correction is not live text: no handover
    (withdrawn,) = stream.correct(2, "\x08", ALICE, NOW + 40)
    assert (withdrawn.text, withdrawn.previous_text, stream.segment(2).revision) == ("", "Next", 2)


def test_correct_refuses_without_changing_anything() -> None:
    stream = CaptionStream("s1", "en")
    feed(stream, "Line\n")
    with pytest.raises(NotFound):
        stream.correct(2, "no such line", ALICE, NOW)
    with pytest.raises(InvalidInput):
        stream.correct(1, "x" * 1000, ALICE, NOW)
    assert (stream.segment(1).text, stream.segment(1).revision) == ("Line", 1)


# -- property: backspaces and finalisation against a reference model ----------------------------------------

_KEYS = st.sampled_from(["a", "b", "é", "発", " ", " ", ".", "!", "\t", "\n", "\r", "\x08", "\x08", "\x7f", "[", ":"])
_POSTS = st.lists(st.text(_KEYS, max_size=25), max_size=12)


def _visible(text: str) -> str:
    # Whitespace may differ (trimmed ends, a hard cut inside a word); the characters may not.
    return "".join(text.split())


@settings(max_examples=4 * settings.default.max_examples, deadline=None)  # 400 by default
@given(posts=_POSTS)
def test_final_text_plus_tail_matches_a_reference_editor(posts: list[str]) -> None:
    chunked = CaptionStream("s1", "en")
    for post in posts:
        chunked.append(post, ALICE, NOW)

    # Reference: an editor whose backspaces cannot go below the finalised length ("floor").
    stepped = CaptionStream("s1", "en")
    doc, floor = "", 0
    history: list[list[Segment]] = []
    for ch in "".join(posts):
        events = stepped.append(ch, ALICE, NOW)
        if ch in "\x08\x7f":
            doc = doc[:-1] if len(doc) > floor else doc
        else:
            doc += " " if ch == "\t" else ch
        if ch in "\r\n":
            assert stepped.tail == ""
        if ch in "\r\n" or finals(events):
            assert len(doc) - len(stepped.tail) >= floor, "final text grew backwards"
            floor = len(doc) - len(stepped.tail)
        assert doc[floor:].lstrip() == stepped.tail
        history.append(stepped.segments())

    segments = stepped.segments()
    for earlier in history:
        assert segments[: len(earlier)] == earlier, "a final segment changed"
    assert [s.seq for s in segments] == list(range(1, len(segments) + 1))
    assert all(s.text for s in segments)
    assert _visible("".join(s.text for s in segments) + stepped.tail) == _visible(doc)
    # However the text was split into posts, the result is the same.
    assert (texts(chunked), chunked.tail) == (texts(stepped), stepped.tail)


@pytest.mark.parametrize(
    "call, wire",
    [
        (lambda: CaptionStream.restore("s1", "en", -1),
         {"code": "invalid_format", "field": "last_seq", "message": "last_seq must not be negative"}),
        (lambda: CaptionStream("s1", "en").segment(9),
         {"code": "not_found", "field": "seq", "message": "There is no caption line 9 in en."}),
        (lambda: CaptionStream("s1", "en").correct(True, "x", ALICE, NOW),
         {"code": "invalid_format", "field": "seq", "message": "seq must be an integer"}),
        (lambda: CaptionStream("s1", "en").correct("1", "x", ALICE, NOW),
         {"code": "invalid_format", "field": "seq", "message": "seq must be an integer"}),
    ],
)  # fmt: skip
def test_stream_refusals_on_the_wire(call, wire) -> None:
    with pytest.raises((InvalidInput, NotFound)) as info:
        call()
    assert info.value.as_dict() == wire


def test_a_correction_has_a_length_bound() -> None:
    stream = CaptionStream("s1", "en")
    stream.append("Short line.\n", ALICE, NOW)
    (seq,) = [s.seq for s in stream.segments()]
    assert stream.correct(seq, "x" * 480, ALICE, NOW)[0].text == "x" * 480
    with pytest.raises(InvalidInput) as info:
        stream.correct(seq, "y" * 481, ALICE, NOW)
    assert info.value.as_dict() == {"code": "invalid_format", "field": "text",
                                    "message": "A corrected line holds at most 480 characters."}  # fmt: skip
    assert stream.correct(seq, "two\r\nlines", ALICE, NOW)[0].text == "two lines"


def test_a_new_speaker_on_the_floor_starts_a_turn() -> None:
    stream = CaptionStream("s1", "en")
    ana, raul = SpeakerContext("iv-1", "Ana"), SpeakerContext("iv-2", "Raúl")
    stream.append("Good morning.\nWe start.\n", ALICE, NOW, speaker_context=ana)
    stream.append("Thank you.\n", ALICE, NOW, speaker_context=raul)
    stream.append("Unattributed.\n", ALICE, NOW, speaker_context=None)
    stream.append("Back to Ana.\n", ALICE, NOW, speaker_context=SpeakerContext("iv-3", "Ana"))
    assert [(s.speaker, s.new_turn) for s in stream.segments()] == [
        ("Ana", True), ("Ana", False), ("Raúl", True), (None, False), ("Ana", True)]


def test_window_new_part_drops_only_what_was_sent_before() -> None:
    from server.domain.captions.stream import window_new_part

    assert window_new_part("Window one.\nWindow two.", ["Window one."], "") == "Window two."
    assert window_new_part("Window one.\nWindow two.", [], "Window one.") == "\nWindow two."
    # The longest run wins: a re-sent line followed by its genuine repeat keeps the repeat.
    assert window_new_part("A\nThank you.\nThank you.\n", ["A", "Thank you."], "") == "Thank you.\n"
    assert window_new_part("Something new\n", ["A"], "Some") == "thing new\n"
    assert window_new_part("Other\n", ["A"], "Some") == "Other\n"


# -- memory: only the latest segments are held --------------------------------------------------------


def test_a_long_stream_holds_only_its_latest_segments() -> None:
    stream = CaptionStream("s1", "en")
    for i in range(1, 3 * KEEP_SEGMENTS + 1):
        feed(stream, f"Line {i}\n")
        assert len(stream.segments()) <= KEEP_SEGMENTS
    assert [s.seq for s in stream.segments()] == list(range(2 * KEEP_SEGMENTS + 1, 3 * KEEP_SEGMENTS + 1))
    assert stream.last_seq == 3 * KEEP_SEGMENTS and not stream.holds(2 * KEEP_SEGMENTS)
    with pytest.raises(NotFound):
        stream.correct(1, "Line one", ALICE, NOW)
    # Numbering goes on from the last line, not from what is held.
    assert finals(feed(stream, "One more\n"))[0].seq == 3 * KEEP_SEGMENTS + 1


def test_an_older_segment_is_recalled_to_be_corrected_then_let_go() -> None:
    stream = CaptionStream("s1", "en")
    first = finals(feed(stream, "Helo everyone\n"))[0].segment()
    feed(stream, *(f"Line {i}\n" for i in range(2, KEEP_SEGMENTS + 11)))
    assert not stream.holds(1)
    stream.recall(first)
    assert stream.holds(1)
    events = stream.correct(1, "Hello everyone", BOB, NOW + 5)
    assert events == [SegmentCorrected("s1", "en", 1, "Hello everyone", "Helo everyone", 2, BOB, NOW + 5)]
    assert not stream.holds(1) and len(stream.segments()) == KEEP_SEGMENTS
    stream.revert(events)  # taking back a correction of a line no longer held changes nothing held
    assert len(stream.segments()) == KEEP_SEGMENTS and not stream.holds(1)
    # A recalled line that is not corrected (same text) is let go as well.
    stream.recall(first)
    assert stream.correct(1, "Helo everyone", BOB, NOW) == [] and not stream.holds(1)
    # A held line is never replaced by a recalled copy.
    held = stream.segment(stream.last_seq)
    stream.recall(dataclasses.replace(held, text="stale"))
    assert stream.segment(stream.last_seq) == held


def test_a_line_never_finalised_cannot_be_recalled() -> None:
    stream = CaptionStream("s1", "en")
    line = finals(feed(stream, "Only line\n"))[0].segment()
    for seq in (0, 2):
        with pytest.raises(InvalidInput):
            stream.recall(dataclasses.replace(line, seq=seq))
    with pytest.raises(NotFound):
        stream.correct(2, "x", ALICE, NOW)


def test_restore_and_catch_up_keep_only_the_latest_segments() -> None:
    source = CaptionStream("s1", "en")
    every = [e.segment() for e in finals(feed(source, *(f"Line {i}\n" for i in range(1, KEEP_SEGMENTS + 51))))]
    assert len(every) == KEEP_SEGMENTS + 50
    stream = CaptionStream.restore("s1", "en", KEEP_SEGMENTS + 50, [], ALICE, segments=every)
    assert len(stream.segments()) == KEEP_SEGMENTS and stream.segments()[-1].seq == KEEP_SEGMENTS + 50
    more = finals(feed(source, *(f"More {i}\n" for i in range(30))))
    stream.catch_up(source.last_seq, [], ALICE, segments=[e.segment() for e in more])
    assert [s.seq for s in stream.segments()] == [s.seq for s in source.segments()]
