"""Captioning tools' push contracts replayed byte for byte against a running server, read back three ways.

Each test posts what a CAT program or caption bridge sends (Zoom-, YouTube- and StreamText-style URLs, the bridge
WebSocket, the captioner page's Socket.IO events) and reads the result through the segment download, the
StreamText-style pull feed and a Socket.IO viewer: the same text, the same lines, each once.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re

import pytest
import websockets

from server.web.captions.hub import CaptionHub, caption_hub_key
from server.web.floor.service import floor_key

from .conftest import DEMO, WAIT

S = f"/m/{DEMO}/s/morning"
ROOT = f"{S}/ingest"
LEAD = re.compile(r"^[^:\n]{1,60}: ")


@pytest.fixture
async def viewers(connect, inbox):
    """A Socket.IO viewer per language, connected before anything is captioned."""
    boxes = {}
    for lang in ("en", "fr"):
        client = await connect("/live", session="morning", lang=lang)
        boxes[lang] = inbox(client, "/live", "caption_segment", "caption_backlog", "session_state")
    return boxes


async def post(http, server, path, body):
    async with http.post(server.url(path), data=body.encode() if isinstance(body, str) else body) as r:
        assert r.status == 200, (path, r.status, await r.text())
        return await r.text()


async def read_back(server, http, viewers, lang="en"):
    """The lines as the segment download, the pull feed and a viewer have them; asserts they agree."""
    async with http.get(server.url(f"/api/meetings/{DEMO}/sessions/morning/captions?lang={lang}&limit=5000")) as r:
        rows = (await r.json())["segments"]
    async with http.get(server.url(f"/captions?event={DEMO}:morning&last=0&language={lang}")) as r:
        pulled = (await r.json())["content"]
    pull_lines = pulled.split("\n")[:-1] if pulled else []
    leads = [f"{s['speaker']}: " if s["new_turn"] and s["speaker"] else "" for s in rows]
    seen = await viewers[lang].wait_count("caption_segment", len(rows)) if rows else []
    texts = [s["text"] for s in rows]
    assert [s["seq"] for s in rows] == list(range(1, len(rows) + 1))
    assert pull_lines == [lead + text for lead, text in zip(leads, texts, strict=True)]
    assert [d["text"] for d in sorted(seen, key=lambda d: d["seq"])] == texts
    async with http.get(server.url(f"{S}/captions.txt?lang={lang}")) as r:
        transcript = await r.text()
    for text in texts:
        assert transcript.count(text) >= 1, text
    return rows


# -- 1. a second language with its own counter -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["zoom", "streamtext"])
async def test_each_language_counts_its_own_seq(server, http, live, viewers, kind):
    await post(http, server, f"{ROOT}/{kind}?t={live}&seq=1&lang=en-US", "Good morning, delegates.\n")
    await post(http, server, f"{ROOT}/{kind}?t={live}&seq=1&lang=fr-FR", "Bonjour à tous.\n")
    await post(http, server, f"{ROOT}/{kind}?t={live}&seq=1&lang=fr-FR", "Bonjour à tous.\n")  # a retry
    await post(http, server, f"{ROOT}/{kind}?t={live}&seq=2&lang=fr-FR", "Deuxième ligne.\n")
    assert [s["text"] for s in await read_back(server, http, viewers, "en")] == ["Good morning, delegates."]
    assert [s["text"] for s in await read_back(server, http, viewers, "fr")] == ["Bonjour à tous.", "Deuxième ligne."]
    for lang, last in (("en-US", "1"), ("fr-FR", "2")):
        async with http.get(server.url(f"{ROOT}/{kind}/seq?t={live}&lang={lang}")) as r:
            assert (await r.text()).strip() == last


# -- 2. every ingest URL continues the captioner's line ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["zoom", "streamtext"])
async def test_posts_continue_the_live_line(server, http, live, viewers, kind):
    posts = ["I'M SENDING ", "SEVERAL CAPTIONS.\n", "Helo", "\b\bllo world.\n", "Tab\tand DEX\x7fL.\r\n"]
    for seq, body in enumerate(posts, start=1):
        await post(http, server, f"{ROOT}/{kind}?t={live}&seq={seq}", body)
    assert [s["text"] for s in await read_back(server, http, viewers)] == [
        "I'M SENDING SEVERAL CAPTIONS.", "Hello world.", "Tab and DEL."]


async def test_youtube_cues_continue_and_br_is_a_two_line_cue(server, http, live, viewers):
    posts = ["2012-11-05T06:31:00.123 region:reg1#cue1\nGOOD MORNING.<br>WE ARE\n",
             "2012-11-05T06:31:01.000\nSTARTING NOW.<br>\n",
             "2012-11-05T06:31:02.000\nNEXT LINE\n2012-11-05T06:31:02.500\nCONTINUES<br>\n"]
    for seq, body in enumerate(posts, start=1):
        await post(http, server, f"{ROOT}/youtube?t={live}&seq={seq}", body)
    rows = await read_back(server, http, viewers)
    assert [(s["text"], s["sender_ms"]) for s in rows] == [
        ("GOOD MORNING. WE ARE STARTING NOW.", 1352097060123), ("NEXT LINE CONTINUES", 1352097062000)]


# -- 3. tools that re-send their window --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["zoom", "streamtext"])
async def test_window_mode_stores_each_line_once(server, http, live, viewers, kind):
    posts = ["Window one.", "Window one.\nWindow two.", "Window two.\nWindow three.", "Window two.\nWindow three.\n",
             "Window three.\nThank you.\n", "Thank you.\nThank you.\n"]
    for seq, body in enumerate(posts, start=1):
        await post(http, server, f"{ROOT}/{kind}?t={live}&seq={seq}&window=1", body)
    assert [s["text"] for s in await read_back(server, http, viewers)] == [
        "Window one.", "Window two.", "Window three.", "Thank you.", "Thank you."]


async def test_without_window_mode_a_repeated_line_is_the_captioners(server, http, live, viewers):
    for seq, body in enumerate(["Thank you.\n", "Thank you.\n"], start=1):
        await post(http, server, f"{ROOT}/zoom?t={live}&seq={seq}", body)
    assert [s["text"] for s in await read_back(server, http, viewers)] == ["Thank you.", "Thank you."]


async def test_window_mode_on_the_bridge_and_the_captioner_page(server, http, live, viewers, connect):
    url = server.url(f"{ROOT}/ws?t={live}&window=1").replace("http", "ws", 1)
    async with websockets.connect(url, open_timeout=WAIT) as ws:
        json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        for seq, text in enumerate(["Line A.\n", "Line A.\nLine B.\n", "Line B.\nLine C.\n"], start=1):
            await ws.send(json.dumps({"type": "text", "seq": seq, "text": text}))
            assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["applied"] is True
    page = await connect("/caption", session="morning", t=await server.token("captioner"))
    for text in ("Page one.\n", "Page one.\nPage two.\n"):
        reply = await page.call("caption_append", {"text": text, "window": True}, namespace="/caption", timeout=WAIT)
        assert reply["ok"], reply
    assert [s["text"] for s in await read_back(server, http, viewers)] == [
        "Line A.", "Line B.", "Line C.", "Page one.", "Page two."]


# -- 4. two captioners at once -----------------------------------------------------------------------------------------


async def test_two_captioners_writing_at_once_keep_their_lines(server, http, live, viewers):
    meeting_token = await server.token("captioner")
    first = [f"Alpha line {n} with several words typed in pieces." for n in range(12)]
    second = [f"Beta line {n} typed at the same moment by a colleague." for n in range(12)]

    def pieces(lines):
        out = []
        for line in lines:
            words = line.split(" ")
            out += [w + " " for w in words[:-1]] + [words[-1] + "\n"]
        return out

    url = server.url(f"{ROOT}/ws?t={meeting_token}").replace("http", "ws", 1)
    async with websockets.connect(url, open_timeout=WAIT) as ws:
        json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        a, b = pieces(first), pieces(second)
        for n in range(max(len(a), len(b))):
            if n < len(a):
                await post(http, server, f"{ROOT}/streamtext?t={live}&seq={n + 1}", a[n])
            if n < len(b):
                await ws.send(json.dumps({"type": "text", "seq": n + 1, "text": b[n]}))
                assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["type"] == "ack"
    rows = await read_back(server, http, viewers)
    assert len(rows) == 24
    assert [s["text"] for s in rows if s["text"].startswith("Alpha")] == first
    assert [s["text"] for s in rows if s["text"].startswith("Beta")] == second
    assert all(s["final_ms"] <= t["final_ms"] for s, t in itertools.pairwise(rows))  # ordered by finalisation


# -- 5. the stored line is the captioner's -----------------------------------------------------------------------------


async def test_a_long_line_with_sentences_is_one_segment(server, http, live, viewers):
    line = ("The delegation of Brazil thanks the Chair for this session. We support the proposal on enhanced"
            " cooperation, and we ask that the secretariat circulate the revised text well before the next meeting"
            " so that capitals can consider it.")
    await post(http, server, f"{ROOT}/zoom?t={live}&seq=1", line)
    await post(http, server, f"{ROOT}/zoom?t={live}&seq=2", "\n")
    assert [s["text"] for s in await read_back(server, http, viewers)] == [line]


# -- 6. the session's last words ---------------------------------------------------------------------------------------


async def test_ending_the_session_finalises_every_live_line_first(server, http, live, viewers):
    meeting_token = await server.token("captioner")
    await post(http, server, f"{ROOT}/zoom?t={live}&seq=1", "Thank you all, the session is closed")
    await post(http, server, f"{ROOT}/zoom?t={live}&seq=1&lang=fr", "Merci à tous")
    await post(http, server, f"{ROOT}/streamtext?t={meeting_token}", "[ Applause ]")
    moderator = await server.token("moderator", "morning")
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/end?t={moderator}")) as r:
        assert r.status == 200
        ended = (await r.json())["session"]
    async with http.get(server.url(f"{S}/captions.txt?lang=en")) as r:  # at once, no idle flush waited for
        transcript = await r.text()
    assert "Thank you all, the session is closed" in transcript and "[ Applause ]" in transcript
    rows = await read_back(server, http, viewers)
    assert [s["text"] for s in rows] == ["Thank you all, the session is closed", "[ Applause ]"]
    assert [s["text"] for s in await read_back(server, http, viewers, "fr")] == ["Merci à tous"]
    assert all(s["final_ms"] <= ended["ended_ms"] for s in rows)  # finalised at their real time, not after
    # Viewers hear the last lines before they hear that the session ended.
    await viewers["en"].wait_for(lambda n, d: n == "session_state" and d["state"] == "ended")
    order = [n for n, d in viewers["en"].items if n == "caption_segment" or
             (n == "session_state" and d["state"] == "ended")]
    assert order.index("session_state") > max(i for i, n in enumerate(order) if n == "caption_segment")


# -- 7. speakers in live views -----------------------------------------------------------------------------------------


async def test_a_new_turn_shows_its_speaker_everywhere(server, http, live, viewers, connect, inbox):
    body = ">> CHAIR: Welcome to the session.\nWe begin now.\n>> ANRIETTE ESTERHUYSEN: Thank you, Chair.\n"
    await post(http, server, f"{ROOT}/streamtext?t={live}", body)
    rows = await read_back(server, http, viewers)  # the pull feed's "NAME: " leads are checked there
    assert [(s["speaker"], s["new_turn"]) for s in rows] == [("CHAIR", True), ("CHAIR", False),
                                                             ("ANRIETTE ESTERHUYSEN", True)]
    seen = await viewers["en"].wait_count("caption_segment", 3)
    assert [(d["speaker"], d["new_turn"]) for d in sorted(seen, key=lambda d: d["seq"])] == [
        (s["speaker"], s["new_turn"]) for s in rows]
    late = await connect("/live", session="morning", lang="en")
    backlog = await late.call("captions_subscribe", {"lang": "en"}, namespace="/live", timeout=WAIT)
    assert [(s["speaker"], s["new_turn"]) for s in backlog["segments"]] == [(s["speaker"], s["new_turn"]) for s in rows]
    async with http.get(server.url(f"/captions?event={DEMO}:morning&last=0")) as r:
        assert (await r.json())["content"].startswith("CHAIR: Welcome to the session.\nWe begin now.\n"
                                                      "ANRIETTE ESTERHUYSEN: Thank you, Chair.\n")
    async with http.get(server.url(f"{S}/captions.xml?lines=3")) as r:
        xml = await r.text()
    assert ("<line1>CHAIR: Welcome to the session.</line1><line2>We begin now.</line2>"
            "<line3>ANRIETTE ESTERHUYSEN: Thank you, Chair.</line3>") in xml


# -- 8. feeds as the tools they imitate --------------------------------------------------------------------------------


async def test_pull_feed_answers_like_streamtext(server, http, live, viewers):
    await post(http, server, f"{ROOT}/streamtext?t={live}", "First line.\nSecond line.\n")
    async with http.get(server.url(f"/captions?event={DEMO}:morning&last=-1")) as r:
        assert r.status == 200
        now = await r.json()
    assert (now["content"], now["lastPosition"]) == ("", len("First line.\nSecond line.\n"))
    await post(http, server, f"{ROOT}/streamtext?t={live}", "Third line.\n")
    async with http.get(server.url(f"/captions?event={DEMO}:morning&last={now['lastPosition']}")) as r:
        assert (await r.json())["content"] == "Third line.\n"
    for event in ("nope:morning", f"{DEMO}:nosuchsession"):
        async with http.get(server.url(f"/captions?event={event}&last=0")) as r:
            assert r.status == 404 and r.content_type == "application/json"
            assert (await r.json())["ok"] is False
    async with http.get(server.url(f"/captions?event={DEMO}:morning&last=-2")) as r:
        assert r.status == 400 and r.content_type == "application/json"


@pytest.mark.parametrize("path", [f"{ROOT}/zoom", f"{ROOT}/youtube", f"{ROOT}/streamtext"])
async def test_wrong_method_is_405_with_allow_in_plain_text(server, http, live, path):
    for method in ("GET", "PUT", "DELETE"):
        async with http.request(method, server.url(f"{path}?t={live}&seq=1")) as r:
            assert r.status == 405, method
            assert "POST" in r.headers["Allow"]
            assert r.content_type == "text/plain"


async def test_405_elsewhere_carries_allow(server, http):
    async with http.get(server.url(f"/api/meetings/{DEMO}/sessions/morning/start")) as r:
        assert r.status == 405 and "POST" in r.headers["Allow"]


# -- after a restart ---------------------------------------------------------------------------------------------------


async def test_live_lines_and_counters_of_every_feed_survive_a_restart(server, http, live, viewers):
    meeting_token = await server.token("captioner")
    await post(http, server, f"{ROOT}/zoom?t={live}&seq=1", "Half of the first")
    await post(http, server, f"{ROOT}/zoom?t={live}&seq=1&lang=fr", "La moitié")
    await post(http, server, f"{ROOT}/zoom?t={meeting_token}&seq=1", "Another captioner's half")
    old = server.app[caption_hub_key]
    server.app[caption_hub_key] = CaptionHub(server.app, server.app[floor_key])  # forget everything held in memory
    try:
        await post(http, server, f"{ROOT}/zoom?t={live}&seq=1", "Half of the first")  # a retry: not applied
        await post(http, server, f"{ROOT}/zoom?t={live}&seq=2", " line.\n")
        await post(http, server, f"{ROOT}/zoom?t={meeting_token}&seq=2", " is here.\n")
        await post(http, server, f"{ROOT}/zoom?t={live}&seq=2&lang=fr", " du texte.\n")
        assert [s["text"] for s in await read_back(server, http, viewers)] == [
            "Half of the first line.", "Another captioner's half is here."]
        assert [s["text"] for s in await read_back(server, http, viewers, "fr")] == ["La moitié du texte."]
    finally:
        server.app[caption_hub_key] = old
