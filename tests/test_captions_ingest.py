"""Captioning tools over HTTP, replayed as those tools send them: Zoom, YouTube and StreamText-style pushes."""

from __future__ import annotations

import re

import pytest

from server.storage import captions as captions_db
from server.web.captions.hub import CaptionHub, caption_hub_key
from server.web.floor.service import floor_key
from server.web.keys import db_key

from .conftest import DEMO, WAIT

TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}")
ROOT = f"/m/{DEMO}/s/morning/ingest"


async def post(http, server, path, body, headers=None):
    async with http.post(server.url(path), data=body, headers=headers or {}) as r:
        return r.status, await r.text()


async def segments(server, lang="en"):
    return await captions_db.segments_after(server.app[db_key], 1, "morning", lang, 0)


async def test_zoom_post_retry_gap_and_seq_form(server, http, live):
    token = live
    # Zoom sends text/plain with seq and lang=en-US; the answer is the server's UTC time.
    status, body = await post(http, server, f"{ROOT}/zoom?t={token}&seq=1&lang=en-US", "Hello everyone\n",
                              {"Content-Type": "text/plain"})
    assert status == 200 and TIME.fullmatch(body.strip()), body
    # The tool retries the same seq after a timeout: accepted, not shown twice.
    status, body = await post(http, server, f"{ROOT}/zoom?t={token}&seq=1&lang=en-US", "Hello everyone\n",
                              {"Content-Type": "text/plain"})
    assert status == 200 and TIME.fullmatch(body.strip())
    async with http.get(server.url(f"{ROOT}/zoom/seq?t={token}")) as r:
        assert r.status == 200 and (await r.text()).strip() == "1"
    # seq 2 lost on the way: 3 is accepted all the same.
    status, _ = await post(http, server, f"{ROOT}/zoom?t={token}&seq=3&lang=en-US", "We begin with the agenda\n")
    assert status == 200
    async with http.get(server.url(f"{ROOT}/zoom/seq?t={token}")) as r:
        assert (await r.text()).strip() == "3"
    assert [(s["seq"], s["text"]) for s in await segments(server)] == [
        (1, "Hello everyone"), (2, "We begin with the agenda")]


@pytest.mark.parametrize("headers", [{}, {"Content-Type": "application/octet-stream"},
                                     {"Content-Type": "application/x-www-form-urlencoded"},
                                     {"Content-Type": "text/plain; charset=latin-1"}],
                         ids=["none", "octet", "form", "wrong-charset"])
async def test_zoom_body_is_utf8_whatever_the_content_type(server, http, live, headers):
    status, _ = await post(http, server, f"{ROOT}/zoom?t={live}&seq=7", "Señora Présidente a=1&b=2\n".encode(), headers)
    assert status == 200
    assert [s["text"] for s in await segments(server)] == ["Señora Présidente a=1&b=2"]


async def test_zoom_refusals(server, http, live):
    status, _ = await post(http, server, f"{ROOT}/zoom?t={live}", "no seq")
    assert status == 403
    status, _ = await post(http, server, f"{ROOT}/zoom?t=wrong-token&seq=1", "bad token")
    assert status == 403
    status, body = await post(http, server, f"{ROOT}/zoom?t={live}&seq=1&lang=de-DE", "Guten Tag")
    assert status == 400 and "unknown_language" in body
    async with http.get(server.url(f"{ROOT}/zoom?t={live}&seq=1")) as r:
        assert r.status == 405
    # Another session's captioner link does not open this one.
    other = await server.token("captioner", "afternoon")
    status, _ = await post(http, server, f"{ROOT}/zoom?t={other}&seq=1", "wrong session")
    assert status == 403
    # A refused post does not use up its seq.
    status, _ = await post(http, server, f"{ROOT}/zoom?t={live}&seq=1", "Now it counts\n")
    assert status == 200
    assert [s["text"] for s in await segments(server)] == ["Now it counts"]


async def test_zoom_not_live_is_400_and_changes_nothing(server, http):
    token = await server.token("captioner", "morning")
    status, body = await post(http, server, f"{ROOT}/zoom?t={token}&seq=1", "Too early")
    assert status == 400 and "session_not_live" in body
    async with http.get(server.url(f"{ROOT}/zoom/seq?t={token}")) as r:
        assert (await r.text()).strip() == "0"
    assert await segments(server) == []


async def test_zoom_french_stream_is_separate(server, http, live):
    assert (await post(http, server, f"{ROOT}/zoom?t={live}&seq=1&lang=fr-FR", "Bonjour à tous\n"))[0] == 200
    assert [s["text"] for s in await segments(server, "fr")] == ["Bonjour à tous"]
    assert await segments(server, "en") == []


async def test_youtube_pairs_region_br_heartbeat_and_sender_time(server, http, live):
    # <br> inside a cue is a two-line cue; a cue ending in <br> ends the captioner's line.
    body = ("2012-11-05T06:31:00.123 region:reg1#cue1\nGood morning.<br>Welcome to Baku<br>\n"
            "2012-11-05T06:31:02.500\nLet us start<br>\n")
    status, answer = await post(http, server, f"{ROOT}/youtube?t={live}&seq=1&lang=en-US", body,
                                {"Content-Type": "text/plain"})
    assert status == 200 and TIME.fullmatch(answer.strip())
    status, _ = await post(http, server, f"{ROOT}/youtube?t={live}&seq=1&lang=en-US", body)  # retry
    assert status == 200
    status, _ = await post(http, server, f"{ROOT}/youtube?t={live}&seq=2", "")  # heartbeat
    assert status == 200
    async with http.get(server.url(f"{ROOT}/youtube/seq?t={live}")) as r:
        assert (await r.text()).strip() == "2"
    rows = await segments(server)
    assert [s["text"] for s in rows] == ["Good morning. Welcome to Baku", "Let us start"]
    assert [s["sender_ms"] for s in rows] == [1352097060123, 1352097062500]
    assert all(s["first_ms"] > 1_600_000_000_000 for s in rows)  # the server's own receive time is kept too
    status, _ = await post(http, server, f"{ROOT}/youtube?t={live}&seq=3", "Just text without a timestamp")
    assert status == 400


async def test_streamtext_backspace_across_posts_and_unicode(server, http, live, connect, inbox):
    viewer = await connect("/live", session="morning")
    box = inbox(viewer, "/live", "caption_partial", "caption_segment")
    url = f"{ROOT}/streamtext?t={live}"
    assert (await post(http, server, url, "Señora Présidente — 発言 the floor is yoy"))[0] == 200
    assert (await post(http, server, url, b"\x08urs\r\n"))[0] == 200  # deletes the "y" typed in the last post
    assert (await post(http, server, url, "Thank you\x7f\x7f\x7fyou.\n"))[0] == 200
    assert [s["text"] for s in await segments(server)] == ["Señora Présidente — 発言 the floor is yours",
                                                           "Thank you."]
    await box.wait_for(lambda n, d: n == "caption_segment" and d["seq"] == 2)
    # A malformed post is refused whole: nothing of it is applied.
    status, _ = await post(http, server, f"{url}&lang=xx", "should not appear\n")
    assert status == 400
    assert len(await segments(server)) == 2


async def test_streamtext_tail_survives_restart_of_the_stream(server, http, live):
    """The live tail is stored with each post: a new hub (as after a restart) continues it."""
    from server.web.captions.hub import CaptionHub, caption_hub_key
    from server.web.floor.service import floor_key

    url = f"{ROOT}/streamtext?t={live}"
    assert (await post(http, server, url, "Half a senten"))[0] == 200
    old = server.app[caption_hub_key]
    server.app[caption_hub_key] = CaptionHub(server.app, server.app[floor_key])  # forget everything held in memory
    assert (await post(http, server, url, "ce.\n"))[0] == 200
    assert [s["text"] for s in await segments(server)] == ["Half a sentence."]
    server.app[caption_hub_key] = old


async def test_an_ended_session_lets_go_of_its_captions_and_restores_them_when_used_again(server, http, live):
    hub, api = server.app[caption_hub_key], f"/api/meetings/{DEMO}/sessions/morning"
    moderator = await server.token("moderator", "morning")
    assert (await post(http, server, f"{ROOT}/zoom?t={live}&seq=1", "Before the break.\n"))[0] == 200
    assert (await post(http, server, f"{ROOT}/streamtext?t={live}", "Half a senten"))[0] == 200
    assert (1, "morning") in hub.held_sessions()
    async with http.post(server.url(f"{api}/end?t={moderator}")) as r:
        assert r.status == 200
    assert (1, "morning") not in hub.held_sessions()  # every segment of the session was held until now
    assert [s["text"] for s in await segments(server)] == ["Before the break.", "Half a senten"]
    async with http.post(server.url(f"{api}/start?t={moderator}")) as r:
        assert r.status == 200
    # Restored from storage: the numbering and the feed's sequence carry on, a retry is still a retry.
    assert (await post(http, server, f"{ROOT}/zoom?t={live}&seq=1", "Before the break.\n"))[0] == 200
    assert (await post(http, server, f"{ROOT}/zoom?t={live}&seq=2", "After it.\n"))[0] == 200
    stored = await segments(server)
    assert [(s["seq"], s["text"]) for s in stored] == [(1, "Before the break."), (2, "Half a senten"),
                                                        (3, "After it.")]


async def test_two_captioner_links_hand_over(server, http, live, connect, inbox):
    meeting_token = await server.token("captioner")  # the meeting-wide captioner link: a feed of its own
    moderator = await connect("/moderate", session="morning", t=await server.token("moderator", "morning"))
    box = inbox(moderator, "/moderate", "captioner_handed_over")
    assert (await post(http, server, f"{ROOT}/zoom?t={live}&seq=1", "First captioner\n"))[0] == 200
    assert (await post(http, server, f"{ROOT}/zoom?t={meeting_token}&seq=1", "Second captioner\n"))[0] == 200
    handover = await box.wait_for(lambda n, d: True, timeout=WAIT)
    assert handover["from_captioner"]["label"].startswith("Session captioner")
    assert handover["to_captioner"]["label"].startswith("Meeting captioner")
    assert [s["text"] for s in await segments(server)] == ["First captioner", "Second captioner"]


# -- seq bounds and retries ----------------------------------------------------------------------------------------


async def test_one_huge_seq_cannot_poison_the_feed(server, http, live):
    assert (await post(http, server, f"{ROOT}/zoom?t={live}&seq=3", "One.\n"))[0] == 200
    for huge in [10 ** 17, 2 ** 31, 3 + 100_001]:
        status, body = await post(http, server, f"{ROOT}/zoom?t={live}&seq={huge}", "Garbage.\n")
        assert status == 400 and body.startswith("seq_out_of_range"), (huge, status, body)
    status, _ = await post(http, server, f"{ROOT}/zoom?t={live}&seq=4", "Two.\n")
    assert status == 200
    # Never 200 for text that is not stored: an older seq, or the last seq with other text, is refused.
    status, body = await post(http, server, f"{ROOT}/zoom?t={live}&seq=2", "Late.\n")
    assert status == 409 and body.startswith("seq_stale"), body
    status, body = await post(http, server, f"{ROOT}/zoom?t={live}&seq=4", "Other text.\n")
    assert status == 409 and body.startswith("seq_conflict"), body
    assert [s["text"] for s in await segments(server)] == ["One.", "Two."]
    async with http.get(server.url(f"{ROOT}/zoom/seq?t={live}")) as r:
        assert (await r.text()).strip() == "4"
    # The largest seq allowed starts a feed; a tool that restarts at 1 is followed.
    assert (await post(http, server, f"{ROOT}/zoom?t={live}&seq={2 ** 31 - 1}&lang=fr", "Un.\n"))[0] == 200
    assert (await post(http, server, f"{ROOT}/zoom?t={live}&seq=1&lang=fr", "Deux.\n"))[0] == 200
    assert [s["text"] for s in await segments(server, "fr")] == ["Un.", "Deux."]


async def test_a_retry_is_answered_with_the_original_time(server, http, live, monkeypatch):
    clock = {"now": 1_700_000_000_123}
    for module in ("server.web.captions.hub", "server.web.captions.ingest"):
        monkeypatch.setattr(f"{module}.now_ms", lambda: clock["now"])
    status, first = await post(http, server, f"{ROOT}/zoom?t={live}&seq=1", "Hello.\n")
    assert (status, first.strip()) == (200, "2023-11-14T22:13:20.123")
    clock["now"] += 4_321
    status, retry = await post(http, server, f"{ROOT}/zoom?t={live}&seq=1", "Hello.\n")
    assert (status, retry) == (200, first)
    # Also after a restart of the process's memory: the time is stored with the feed's last seq.
    old = server.app[caption_hub_key]
    server.app[caption_hub_key] = CaptionHub(server.app, server.app[floor_key])
    try:
        status, retry = await post(http, server, f"{ROOT}/zoom?t={live}&seq=1", "Hello.\n")
    finally:
        server.app[caption_hub_key] = old
    assert (status, retry) == (200, first)
    status, second = await post(http, server, f"{ROOT}/zoom?t={live}&seq=2", "Again.\n")
    assert (status, second.strip()) == (200, "2023-11-14T22:13:24.444")
    assert [s["text"] for s in await segments(server)] == ["Hello.", "Again."]
