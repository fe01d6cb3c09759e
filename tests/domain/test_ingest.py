"""Captioner tool bodies byte for byte: Zoom, YouTube and continuation pushes, sequence numbers, decoding."""

from __future__ import annotations

import datetime

import pytest

from server.domain.captions.ingest import (
    MAX_SEQ,
    MAX_SEQ_JUMP,
    Cue,
    FeedSequence,
    continued,
    decode_body,
    parse_seq,
    parse_youtube,
    post_digest,
    server_time,
)
from server.domain.captions.stream import Captioner, CaptionStream, SegmentFinalised
from server.domain.errors import InvalidInput, InvalidTransition

NOW = 1_715_000_000_000
CART = Captioner("feed-1", "CART 1")


def _ms(text: str) -> int:
    """A UTC ISO time as ms since the epoch (independent of the parser under test)."""
    moment = datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    return (moment - epoch) // datetime.timedelta(milliseconds=1)


# -- sequence numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, "", "abc", "-1", "1.5", "1e3", "0x10", "٣"])
def test_missing_or_non_integer_seq_is_refused(raw: str | None) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_seq(raw)
    assert info.value.code == "seq_required"


@pytest.mark.parametrize(("raw", "seq"), [("0", 0), ("1", 1), ("42", 42), (" 7 ", 7)])
def test_seq_is_parsed(raw: str, seq: int) -> None:
    assert parse_seq(raw) == seq


@pytest.mark.parametrize(
    ("accepted", "seq", "verdict"),
    [
        ([], 0, "apply"),
        ([], 57, "apply"),
        ([1], 2, "apply"),
        ([1], 1, "duplicate"),
        ([5, 6], 3, "duplicate"),
        ([1], 4, "gap"),
        # A tool that restarts counts from 0 or 1 again; a late retry would be of a recent seq.
        ([30], 1, "gap"),
        ([30], 0, "gap"),
        ([8], 1, "duplicate"),
    ],
)
def test_feed_sequence_verdicts(accepted: list[int], seq: int, verdict: str) -> None:
    feed = FeedSequence()
    for n in accepted:
        feed.accept(n)
    assert feed.check(seq) == verdict


def test_check_does_not_record_and_accept_refuses_a_duplicate() -> None:
    feed = FeedSequence(last_seq=3)
    assert feed.check(4) == "apply"
    assert feed.check(4) == "apply"  # the first check failed downstream; the retry still applies
    feed.accept(4)
    assert feed.last_seq == 4
    with pytest.raises(InvalidInput):
        feed.accept(4)
    with pytest.raises(InvalidInput) as info:
        feed.check(-1)
    assert info.value.code == "seq_required"
    assert feed.last_seq == 4


# -- Zoom -------------------------------------------------------------------------------------------------------


def test_zoom_post_and_its_retry() -> None:
    stream, feed = CaptionStream("s1", "en"), FeedSequence()
    body = b"Hello everyone\n"
    events = []
    for _attempt in range(2):
        seq = parse_seq("1")
        if feed.check(seq) == "duplicate":
            continue
        events += stream.append(decode_body(body), CART, NOW, writer="1:zoom")
        feed.accept(seq)
    assert [(e.seq, e.text) for e in events if isinstance(e, SegmentFinalised)] == [(1, "Hello everyone")]
    assert stream.tail == ""


@pytest.mark.parametrize(("posts", "lines", "tail"), [
    # A post continues the live line: only a line break finalises it.
    (("I'M SENDING ", "SEVERAL CAPTIONS.\n"), ["I'M SENDING SEVERAL CAPTIONS."], ""),
    # A backspace at the start of a post edits the previous post's text.
    (("Helo", "\b\bllo world.\n"), ["Hello world."], ""),
    (("two words",), [], "two words"),
    (("", "\r\n", "   \n"), [], ""),
])
def test_zoom_posts_continue_the_line(posts: tuple[str, ...], lines: list[str], tail: str) -> None:
    stream = CaptionStream("s1", "en")
    for post in posts:
        stream.append(post, CART, NOW, writer="1:zoom")
    assert ([s.text for s in stream.segments()], stream.tail) == (lines, tail)


# -- YouTube ----------------------------------------------------------------------------------------------------


def test_youtube_pairs_with_regions_and_line_breaks() -> None:
    body = decode_body(
        b"2024-05-06T13:00:01.250 region:reg1#cue1\n"
        b"Good afternoon<br>and welcome\n"
        b"2024-05-06T13:00:03.004\n"
        b"to the IGF\n"
        b"2024-05-06T13:00:04.900 region:reg1#cue2\n"
        b"[ Applause ]<BR/>\n"
    )
    assert parse_youtube(body) == [
        Cue(_ms("2024-05-06T13:00:01.250"), "Good afternoon and welcome"),
        Cue(_ms("2024-05-06T13:00:03.004"), "to the IGF"),
        Cue(_ms("2024-05-06T13:00:04.900"), "[ Applause ]\n"),
    ]
    assert _ms("2024-05-06T13:00:01.250") % 1000 == 250


def test_youtube_cues_keep_sender_and_server_time() -> None:
    stream = CaptionStream("s1", "en")
    events = []
    body = ("2024-05-06T13:00:01.250 region:reg1#cue1\nGood afternoon<br>all\n"
            "2024-05-06T13:00:02.000\nwelcome<br>\n2024-05-06T13:00:03.000\nNext\n")
    for sender_ms, text in parse_youtube(body):
        events += stream.append(continued(stream.tail, text), CART, NOW, sender_ms=sender_ms)
    # <br> inside a cue is a two-line cue, not two lines; a cue ending in <br> ends the line.
    assert [(e.text, e.sender_ms, e.first_ms) for e in events if isinstance(e, SegmentFinalised)] == [
        ("Good afternoon all welcome", _ms("2024-05-06T13:00:01.250"), NOW),
    ]
    assert stream.tail == "Next"


@pytest.mark.parametrize(("tail", "text", "joined"), [
    ("Good", "morning", " morning"), ("Good ", "morning", "morning"), ("", "morning", "morning"),
    ("Good", "\n", "\n"), ("Good", "\x08d", "\x08d"),
])
def test_continued_puts_one_space_between_cues(tail: str, text: str, joined: str) -> None:
    assert continued(tail, text) == joined


@pytest.mark.parametrize(
    "body", ["", "\n", "2024-05-06T13:00:01.250\n", "2024-05-06T13:00:01.250 region:reg1#cue1\n\n"]
)
def test_youtube_heartbeat_has_no_cues(body: str) -> None:
    assert parse_youtube(body) == []


def test_youtube_crlf_and_blank_lines_between_pairs() -> None:
    body = "2024-05-06T13:00:01.250\r\nOne\r\n\r\n2024-05-06T13:00:02.000\r\nTwo\r\n"
    assert [c.text for c in parse_youtube(body)] == ["One", "Two"]


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("Hello without a time\n", 1),
        ("2024-05-06T13:00:01.250\nok\n2024-05-06T13:0:01.250\nbad\n", 3),
        ("2024-02-30T13:00:01.250\nno such day\n", 1),
        ("2024-05-06T25:00:01.250\nno such hour\n", 1),
        ("\n\n2024-05-06T13:00:01,250\nbad comma\n", 3),
    ],
)
def test_malformed_youtube_body_names_the_line(body: str, line: int) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_youtube(body)
    assert info.value.code == "invalid_format"
    assert info.value.message.startswith(f"Line {line}:") and info.value.params["line"] == line


# -- continuation pushes ----------------------------------------------------------------------------------------


def test_continuation_pushes_with_a_backspace_across_posts() -> None:
    stream = CaptionStream("s1", "en")
    posts = (
        b"Helo wor",
        b"\x08\x08\x08\x08\x08lo world\n",
        b"Se\xc3\xb1ora Pr\xc3\xa9sidente \xe2\x80\x94 \xe7\x99\xba\xe8\xa8\x80\r",
    )
    for raw in posts:
        stream.append(decode_body(raw), CART, NOW)
    assert [s.text for s in stream.segments()] == ["Hello world", "Señora Présidente — 発言"]


# -- decoding and server time -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"plain", "plain"),
        (b"\xef\xbb\xbfwith BOM", "with BOM"),
        ("Señora — 発言".encode(), "Señora — 発言"),
        (b"caf\xe9 ok", "caf\ufffd ok"),  # Latin-1 byte: replaced, the rest is kept
        (b"\x08\x7f\r\n", "\x08\x7f\r\n"),
    ],
)
def test_decode_body(raw: bytes, text: str) -> None:
    assert decode_body(raw) == text


@pytest.mark.parametrize(
    ("now", "text"),
    [
        (0, "1970-01-01T00:00:00.000"),
        (_ms("2024-05-06T13:00:01.250"), "2024-05-06T13:00:01.250"),
        (_ms("2024-12-31T23:59:59.999"), "2024-12-31T23:59:59.999"),
        (_ms("2024-05-06T13:00:01.007"), "2024-05-06T13:00:01.007"),
    ],
)
def test_server_time(now: int, text: str) -> None:
    assert server_time(now) == text


# -- refusals, boundaries and exact values ------------------------------------------------------------


@pytest.mark.parametrize(
    "call, wire",
    [
        (lambda: parse_seq("-1"), {"code": "seq_required", "field": "seq",
                                   "message": "a non-negative integer seq parameter is required"}),
        (lambda: FeedSequence().check(-1), {"code": "seq_required", "field": "seq",
                                            "message": "seq must be a non-negative integer"}),
        (lambda: FeedSequence().check(True), {"code": "seq_required", "field": "seq",
                                              "message": "seq must be a non-negative integer"}),
        (lambda: FeedSequence().check("3"), {"code": "seq_required", "field": "seq",
                                             "message": "seq must be a non-negative integer"}),
        (lambda: FeedSequence(4).accept(4), {"code": "seq_duplicate", "field": "seq",
                                             "message": "seq 4 was already accepted"}),
        (lambda: parse_youtube("hello\n"), {"code": "invalid_format", "field": "body",
                                            "message": "Line 1: a timestamp line was expected before caption text."}),
        (lambda: parse_youtube("\n2024-05-06T07:08:09.123 region that makes a long line\nhi\n2024-05-06T7:08\n"),
         {"code": "invalid_format", "field": "body", "message": 'Line 4: malformed timestamp "2024-05-06T7:08".'}),
        (lambda: parse_youtube("2024-02-30T07:08:09.123 and a region long enough to be cut\nhi\n"),
         {"code": "invalid_format", "field": "body",
          "message": 'Line 1: impossible date or time "2024-02-30T07:08:09.123 and a region lon".'}),
    ],
)  # fmt: skip
def test_refusals_on_the_wire(call, wire):
    with pytest.raises(InvalidInput) as info:
        call()
    assert info.value.as_dict() == wire


@pytest.mark.parametrize(
    "last, seq, verdict",
    [
        (None, 7, "apply"), (5, 6, "apply"), (5, 8, "gap"), (5, 5, "duplicate"), (5, 2, "duplicate"),
        # Back at 0 or 1 after more than RESTART_AFTER posts: the tool restarted.
        (11, 1, "duplicate"), (12, 1, "gap"), (10, 0, "duplicate"), (11, 0, "gap"), (40, 2, "duplicate"),
    ],
)  # fmt: skip
def test_sequence_verdicts(last, seq, verdict):
    feed = FeedSequence(last)
    assert feed.last_seq == last and feed.check(seq) == verdict


@pytest.mark.parametrize(
    "stamp, ms",
    [
        ("2024-05-06T07:08:09", "2024-05-06T07:08:09.000"),
        ("2024-05-06T07:08:09.5", "2024-05-06T07:08:09.500"),
        ("2024-05-06T07:08:09.05", "2024-05-06T07:08:09.050"),
        ("2024-05-06T07:08:09.123456Z", "2024-05-06T07:08:09.123"),
        ("2024-05-06T07:08:09.999 Geneva", "2024-05-06T07:08:09.999"),
    ],
)
def test_timestamps_to_the_millisecond(stamp, ms):
    (cue,) = parse_youtube(f"{stamp}\nhello\n")
    assert cue == Cue(_ms(ms), "hello") and type(cue.sender_ms) is int


def test_text_lines_after_one_timestamp_are_one_cue_on_one_line():
    # A two-line cue (wrapped text or <br> inside it) is one line of the captioner's text.
    body = "2024-05-06T07:08:09.100   \n  first line  \nsecond<br>third\n\n2024-05-06T07:08:10.000\n"
    assert parse_youtube(body) == [Cue(_ms("2024-05-06T07:08:09.100"), "first line second third")]


@pytest.mark.parametrize(("raw", "code"), [
    ("²", "seq_required"), ("-0", "seq_required"), ("1e3", "seq_required"), ("", "seq_required"),
    (str(10 ** 30), "seq_required"), (str(2 ** 31), "seq_out_of_range"), ("0x10", "seq_required")])
def test_parse_seq_takes_ascii_digits_up_to_the_bound(raw: str, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_seq(raw)
    assert refused.value.code == code
    assert parse_seq(str(MAX_SEQ)) == MAX_SEQ


def test_a_repeated_seq_is_a_retry_only_with_the_same_text_of_a_recent_post() -> None:
    feed = FeedSequence()
    feed.accept(3, post_digest("One.\n"), 900)
    feed.accept(4, post_digest("Two.\n"), 1_000)
    assert feed.check(4) == "duplicate" and feed.repeated_at(4, post_digest("Two.\n")) == 1_000
    assert feed.repeated_at(3, post_digest("One.\n")) == 900  # acknowledged, then its successor: still a retry
    with pytest.raises(InvalidTransition) as conflict:
        feed.repeated_at(4, post_digest("Other.\n"))
    assert conflict.value.code == "seq_conflict"
    with pytest.raises(InvalidTransition) as stale:
        feed.repeated_at(2, post_digest("Zero.\n"))
    assert stale.value.code == "seq_stale"
    with pytest.raises(InvalidInput) as jump:
        feed.check(4 + MAX_SEQ_JUMP + 1)
    assert jump.value.code == "seq_out_of_range"
    assert feed.check(4 + MAX_SEQ_JUMP) == "gap"
    for seq in range(5, 5 + FeedSequence.RECENT):
        feed.accept(seq, post_digest(f"{seq}\n"), seq)
    assert [p.seq for p in feed.recent] == list(range(5, 5 + FeedSequence.RECENT))
    with pytest.raises(InvalidTransition):
        feed.repeated_at(4, post_digest("Two.\n"))  # forgotten: too old to be a retry
