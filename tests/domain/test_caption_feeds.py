"""Property: several captioner feeds in several languages, interleaved, against a reference model.

For any interleaving of posts from up to three feeds in up to two languages, with retries of a post, re-sent
windows (for feeds in window mode), backspaces, line breaks and restarts from the stored state, the final
segments of each feed and language are exactly the lines of a simple model: apply the edits to a buffer, split at
line breaks. So nothing acknowledged is lost and nothing is stored twice.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.captions.events import Captioner
from server.domain.captions.ingest import FeedSequence
from server.domain.captions.stream import CaptionStream, SegmentFinalised, final_text

NOW = 1_715_000_000_000
LANGS = ("en", "fr")
# "word" stands for a word never seen before, so no line repeats another (window mode's one documented limit).
_TOKENS = st.sampled_from(["word", "word", "word", " ", " ", "\n", "\r\n", "\r", "\b", "\x7f"])


@dataclasses.dataclass
class Model:
    """What the captioner of one feed in one language wrote: finished lines and the line being typed."""

    lines: list[str] = dataclasses.field(default_factory=list)
    buffer: str = ""

    def type(self, text: str) -> None:
        for ch in text:
            if ch in "\r\n":
                self.end_line()
            elif ch in "\b\x7f":
                self.buffer = self.buffer[:-1]
            elif not (ch == " " and not self.buffer):  # a line does not start with a space
                self.buffer += ch

    def end_line(self) -> None:
        if final_text(self.buffer):
            self.lines.append(final_text(self.buffer))
        self.buffer = ""


@st.composite
def scripts(draw: Any) -> tuple[list[bool], list[tuple[Any, ...]]]:
    feeds = draw(st.integers(1, 3))
    windows = [draw(st.booleans()) for _ in range(feeds)]
    feed, lang = st.integers(0, feeds - 1), st.sampled_from(LANGS[: draw(st.integers(1, 2))])
    step = st.one_of(
        st.tuples(st.just("post"), feed, lang, st.lists(_TOKENS, max_size=8), st.integers(0, 2)),
        st.tuples(st.just("retry"), feed, lang),
        st.tuples(st.just("restart")),
    )
    return windows, draw(st.lists(step, max_size=40))


def _restart(streams: dict[str, CaptionStream], sequences: dict[Any, FeedSequence]) -> tuple[dict, dict]:
    """What a new process rebuilds from storage: tails, segments and feed sequences."""
    rebuilt = {lang: CaptionStream.restore("s1", lang, s.last_seq, s.tails(), s.last_captioner, segments=s.segments())
               for lang, s in streams.items()}
    return rebuilt, {key: FeedSequence(seq.last_seq) for key, seq in sequences.items()}


@settings(max_examples=300, deadline=None)
@given(script=scripts())
def test_interleaved_feeds_store_what_each_captioner_wrote(script: tuple[list[bool], list[tuple[Any, ...]]]) -> None:
    windows, steps = script
    streams = {lang: CaptionStream("s1", lang) for lang in LANGS}
    sequences: dict[tuple[int, str], FeedSequence] = {}
    last_post: dict[tuple[int, str], tuple[int, str]] = {}
    models = {(f, lang): Model() for f in range(len(windows)) for lang in LANGS}
    words = itertools.count(1)
    now = NOW

    def post(feed: int, lang: str, seq: int, text: str) -> bool:
        sequence = sequences.setdefault((feed, lang), FeedSequence())
        if sequence.check(seq) == "duplicate":
            return False
        streams[lang].append(text, Captioner(f"link:{feed}", f"Captioner {feed}"), now, writer=f"{feed}:zoom",
                             window=windows[feed])
        sequence.accept(seq)
        return True

    for step in steps:
        now += 10
        if step[0] == "restart":
            streams, sequences = _restart(streams, sequences)
        elif step[0] == "retry":
            if (step[1], step[2]) in last_post:
                assert not post(step[1], step[2], *last_post[(step[1], step[2])]), "a retry was applied twice"
        else:
            _, feed, lang, tokens, resend = step
            model = models[(feed, lang)]
            if windows[feed]:  # a window tool sends whole lines of new words, then the window again
                tokens = [t for t in tokens if t not in ("\b", "\x7f", "\r")]
            new = "".join(f"w{next(words)}x" if t == "word" else t for t in tokens)
            sent = new
            if windows[feed]:
                again = model.lines[len(model.lines) - resend:] if resend else []
                sent = "".join(line + "\n" for line in again) + model.buffer + new
            seq = (last_post.get((feed, lang), (0, ""))[0]) + 1
            assert post(feed, lang, seq, sent)
            model.type(new)
            last_post[(feed, lang)] = (seq, sent)

    for stream in streams.values():  # the session ends: every live line is finalised
        stream.flush(now + 1)
    for model in models.values():
        model.end_line()

    for lang, stream in streams.items():
        segments = stream.segments()
        assert [s.seq for s in segments] == list(range(1, len(segments) + 1))
        for feed in range(len(windows)):
            written = [s.text for s in segments if s.writer == f"{feed}:zoom"]
            assert written == models[(feed, lang)].lines, (feed, lang)
        assert stream.tail == ""


@dataclasses.dataclass
class Stored:
    """What storage holds of one stream: its revision, tails, last captioner and segments (with the revision that
    wrote each), as ``storage/captions.py`` keeps them."""

    revision: int = 0
    tails: tuple[Any, ...] = ()
    captioner: Captioner | None = None
    segments: dict[int, tuple[int, Any]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Copy:
    """One node's copy of a stream and the stored revision it is."""

    stream: CaptionStream
    revision: int = 0

    def catch_up(self, stored: Stored) -> None:
        changed = [segment for written, segment in stored.segments.values() if written > self.revision]
        self.stream.catch_up(max(stored.segments, default=0), stored.tails, stored.captioner, segments=changed)
        self.revision = stored.revision


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1), st.sampled_from(LANGS),
                                st.lists(_TOKENS, max_size=6), st.booleans()), max_size=40))
def test_posts_spread_over_two_nodes_store_each_line_once(steps: list[tuple[int, int, str, list[str], bool]]) -> None:
    """Two nodes, two feeds, two languages: each post lands on either node, which checks its copy against storage
    first, or (``raced``) finds out only when it stores, takes its change back, catches up and applies it again."""
    stored = {lang: Stored() for lang in LANGS}
    copies = [{lang: Copy(CaptionStream("s1", lang)) for lang in LANGS} for _ in range(2)]
    models = {(f, lang): Model() for f in range(2) for lang in LANGS}
    words = itertools.count(1)
    now = NOW
    for node, feed, lang, tokens, raced in steps:
        now += 10
        text = "".join(f"w{next(words)}x" if t == "word" else t for t in tokens)
        copy, store = copies[node][lang], stored[lang]
        if not raced:
            copy.catch_up(store)  # the check before the change found the copy overtaken (or not)
        events = copy.stream.append(text, Captioner(f"link:{feed}", f"Captioner {feed}"), now, writer=f"{feed}:zoom")
        if copy.revision != store.revision:  # the write is refused: take it back, catch up, apply again
            copy.stream.revert(events)
            copy.catch_up(store)
            events = copy.stream.append(text, Captioner(f"link:{feed}", f"Captioner {feed}"), now,
                                        writer=f"{feed}:zoom")
        store.revision += 1
        store.tails, store.captioner = tuple(copy.stream.tails()), copy.stream.last_captioner
        for event in events:
            if isinstance(event, SegmentFinalised):
                assert event.seq not in store.segments, "a line was numbered twice"
                store.segments[event.seq] = (store.revision, event.segment())
        copy.revision = store.revision
        models[(feed, lang)].type(text)

    for lang, store in stored.items():
        final = copies[0][lang]
        final.catch_up(store)
        final.stream.flush(now + 1)
        segments = final.stream.segments()
        assert [s.seq for s in segments] == list(range(1, len(segments) + 1))
        for feed in range(2):
            models[(feed, lang)].end_line()
            assert [s.text for s in segments if s.writer == f"{feed}:zoom"] == models[(feed, lang)].lines
