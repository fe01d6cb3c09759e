"""WebVTT: validated by the W3C validator's parser, read back by webvtt-py, cues sane under random input."""

from __future__ import annotations

import html
import itertools
import random

import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st

from transcripts import Transcript
from transcripts.formats import webvtt as vtt
from transcripts.formats.cues import LINE_LENGTH, cues

from .meeting import dialogue_session, segment

NASTY = ["&", "<", ">", "-->", "&amp;", "<b>", "</v>", "é", "中文", "🙂", "[ Applause ]", ">>", ">> CHAIR:",
         "x" * 60, "NOTE", "WEBVTT", "00:00:01.000 --> 00:00:02.000", "\t", " ", "word"]


def _random_transcript(rng: random.Random) -> Transcript:
    """A session with hostile text, names and timings: overlaps, zero lengths, captions before the start."""
    data = dialogue_session()
    data["interventions"][0]["name"] = rng.choice(
        ["AT&T <Legal>", "Ana > Bob", "  Spaced   Name ", "R&D", "Two\nLines"])
    data["session"]["title"] = rng.choice(["A --> B", "Line\n\nbreak", "plain"])
    at = rng.randint(-60, 30)
    segments = []
    for seq in range(rng.randint(1, 40)):
        text = " ".join(rng.choice(NASTY) for _ in range(rng.randint(0, 30)))
        at += rng.choice([0, 0.5, 1, 3, 10])
        segments.append(segment(seq, at, text, iid=rng.choice([None, None, 1, 2]), dur_s=rng.choice([0, 0.2, 4, 30])))
    data["segments"] = segments
    return Transcript.from_dict(data)


def test_fixture_session_is_valid_webvtt(transcript, vtt_validator):
    text = vtt.render(transcript)
    [result] = vtt_validator([text])
    assert result["errors"] == []
    assert result["cues"] == len(cues(transcript)) == 17


def test_hostile_sessions_are_valid_webvtt(vtt_validator):
    rng = random.Random(20121105)
    texts = [vtt.render(_random_transcript(rng)) for _ in range(120)]
    results = vtt_validator(texts)
    bad = [(i, r["errors"][:3]) for i, r in enumerate(results) if r["errors"]]
    assert bad == []


def test_the_validator_catches_what_we_guard_against(vtt_validator):
    # Without this the suite would pass against a validator that accepts anything.
    broken = ["WEBVTT\n\n00:00:02.000 --> 00:00:01.000\nbackwards\n",
              "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfish & chips\n",
              "WEBVTT\n\n00:00:05.000 --> 00:00:06.000\na\n\n00:00:01.000 --> 00:00:02.000\nb\n",
              "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v>nameless\n"]
    assert all(r["errors"] for r in vtt_validator(broken))


def test_header_timestamps_and_voices(transcript):
    text = vtt.render(transcript)
    assert text.startswith("WEBVTT\n\n")
    assert "\n00:00:10.000 --> 00:00:14.000\n<v CHAIR>Good morning and welcome to this session\n" in text
    assert "<v Alexander Ntoko>Cooperation &lt;already&gt; happens in many\n" in text
    assert "speakers &amp; little" in text
    assert "\n&gt;&gt; [ Applause ]\n" in text


def test_voice_names_are_escaped(session_dict):
    session_dict["interventions"][0]["name"] = "AT&T <Legal>"
    text = vtt.render(Transcript.from_dict(session_dict))
    assert "<v AT&amp;T &lt;Legal&gt;>Thank you, Chair." in text


def test_round_trip_through_webvtt_py(transcript):
    parsed = webvtt.from_string(vtt.render(transcript))
    expected = cues(transcript)
    assert len(parsed.captions) == len(expected)
    for caption, cue in zip(parsed.captions, expected, strict=True):
        assert round(caption.start_in_seconds * 1000) // 1000 == cue.start_ms // 1000
        mark = ">> " if cue.turn_start and not cue.speaker else ""
        assert html.unescape(caption.text) == mark + "\n".join(cue.lines)
        assert (caption.voice and html.unescape(caption.voice)) == (cue.speaker or None)
    assert "".join(html.unescape(c.text).replace("\n", " ") for c in parsed.captions).count("Applause") == 1


def test_long_segments_are_split_into_two_line_cues(transcript):
    long_cues = [c for c in cues(transcript) if c.speaker == "Anriette Esterhuysen"]
    assert len(long_cues) == 5
    assert all(len(c.lines) <= 2 and all(len(line) <= LINE_LENGTH for line in c.lines) for c in long_cues)
    assert " ".join(" ".join(c.lines) for c in long_cues[1:]) == transcript.segments[4].text
    assert [c.turn_start for c in long_cues] == [True, False, False, False, False]


_segments = st.lists(st.tuples(st.integers(-120_000, 7_200_000), st.integers(0, 60_000),
                               st.text(st.characters(blacklist_categories=("Cs",)), max_size=300),
                               st.sampled_from([None, 1, 2])), min_size=1, max_size=30)


@settings(max_examples=300, deadline=None)
@given(_segments)
def test_cues_are_ordered_positive_and_never_overlap(raw):
    data = dialogue_session()
    data["segments"] = [{"seq": i, "lang": "en", "text": text, "first_ms": data["session"]["started_ms"] + start,
                         "final_ms": data["session"]["started_ms"] + start + length, "speaker": None,
                         "intervention_id": iid, "captioner": None, "revision": 0}
                        for i, (start, length, text, iid) in enumerate(raw)]
    out = cues(Transcript.from_dict(data))
    for a, b in itertools.pairwise(out):
        assert a.start_ms < b.start_ms and a.end_ms <= b.start_ms
    for c in out:
        assert 0 <= c.start_ms < c.end_ms
        assert 1 <= len(c.lines) <= 2 and all(0 < len(line) <= LINE_LENGTH for line in c.lines)
        assert all("\n" not in line and line == line.strip() for line in c.lines)
    # Nothing is invented: cues hold at most the captions' own non-space characters.
    assert sum(len("".join(t.split())) for _s, _l, t, _i in raw) >= sum(len(line.replace(" ", "")) for c in out
                                                                      for line in c.lines)


def test_titles_with_any_arrow_keep_the_file_valid(vtt_validator):
    titles = ["A ---> B", "A ----> B", "--->", "A -- > B", "x-->y--->z", "-\u2011->", "trailing --"]
    texts = []
    for title in titles:
        data = dialogue_session()
        data["session"]["title"] = title
        data["meeting"]["title"] = f"IGF {title}"
        texts.append(vtt.render(Transcript.from_dict(data)))
    assert all("-->" not in t.split("\n\n")[1] for t in texts)  # the NOTE block
    results = vtt_validator(texts)
    assert [(t, r["errors"][:2]) for t, r in zip(titles, results, strict=True) if r["errors"]] == []


@settings(max_examples=60, deadline=None)
@given(title=st.text(st.sampled_from(["-", ">", " ", "a", "\n", "<", "&"]), max_size=20))
def test_note_text_never_holds_an_arrow_or_a_blank_line(title):
    note = vtt.note_text(title)
    assert "-->" not in note and "\n" not in note


@given(st.lists(st.sampled_from(["a", "to", "word", "multistakeholder", "x" * 41, "y" * 42, "z" * 43, "é" * 50]),
                max_size=40), st.sampled_from(["", " ", "  \t"]))
@settings(max_examples=200, deadline=None)
def test_wrap_fills_lines_greedily(words, gap):
    from transcripts.formats.cues import wrap

    text = (gap or " ").join(words)
    lines = wrap(text)
    assert all(0 < len(line) <= LINE_LENGTH for line in lines)
    assert "".join(" ".join(lines).split()) == "".join(text.split())  # nothing lost but spaces
    for first, second in itertools.pairwise(lines):  # greedy: the next line's first word did not fit
        assert len(first) + 1 + len(second.split(" ")[0]) > LINE_LENGTH or len(second.split(" ")[0]) >= LINE_LENGTH
