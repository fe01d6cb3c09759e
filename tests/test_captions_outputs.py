"""Caption outputs: StreamText-style pull, XML feed, the no-JavaScript page, TXT and WebVTT downloads."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import DEMO

ROOT = Path(__file__).resolve().parents[1]
S = f"/m/{DEMO}/s/morning"


@pytest.fixture
async def captioned(server, http):
    """The morning session live with three lines and an unfinished tail, sent by a StreamText-style tool."""
    moderator = await server.token("moderator", "morning")
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/start?t={moderator}")) as r:
        assert r.status == 200
    token = await server.token("captioner", "morning")
    body = (">> ANRIETTE ESTERHUYSEN: Good morning & welcome <all>\n"
            "Señora Présidente — 発言\n>> We --> begin\nStill typ")
    async with http.post(server.url(f"{S}/ingest/streamtext?t={token}"), data=body.encode()) as r:
        assert r.status == 200
    return token


async def test_pull_feed_positions(server, http, captioned):
    async with http.get(server.url(f"/captions?event={DEMO}:morning&last=0&language=en")) as r:
        assert r.status == 200 and r.headers["Access-Control-Allow-Origin"] == "*"
        first = await r.json()
    # A named speaker's turn starts with the name, as StreamText shows it.
    assert first["content"] == ("ANRIETTE ESTERHUYSEN: Good morning & welcome <all>\nSeñora Présidente — 発言\n"
                                "We --> begin\n")
    assert first["lastPosition"] == len(first["content"]) and first["languageCode"] == "en"
    async with http.get(server.url(f"/captions?event={DEMO}:morning&last={first['lastPosition']}")) as r:
        assert (await r.json())["content"] == ""
    async with http.get(server.url(f"/captions?event={DEMO}:morning&last=5&length=3")) as r:
        part = await r.json()
    assert (part["content"], part["lastPosition"]) == ("TTE", 8)
    async with http.get(server.url("/captions?event=nope")) as r:
        assert r.status == 400


async def test_xml_feed_escapes_and_includes_tail(server, http, captioned):
    async with http.get(server.url(f"{S}/captions.xml?lang=en&lines=2")) as r:
        assert r.status == 200 and r.content_type == "application/xml"
        xml = await r.text()
    assert "<caption><line1>We --&gt; begin</line1><line2>Still typ</line2></caption>" in xml
    async with http.get(server.url(f"{S}/captions.xml?lang=en&lines=3")) as r:
        assert "<line1>Señora Présidente — 発言</line1>" in await r.text()


async def test_text_page_works_without_javascript_and_is_small(server, http, captioned):
    async with http.get(server.url(f"{S}/text")) as r:
        html = await r.text()
    assert '<meta http-equiv="refresh" content="5' in html
    assert "<script" not in html
    assert "Good morning &amp; welcome &lt;all&gt;" in html and "Still typ" in html
    assert "ANRIETTE ESTERHUYSEN:</b>" in html
    assert len(html.encode()) < 4096, len(html.encode())


async def test_txt_download(server, http, captioned):
    async with http.get(server.url(f"{S}/captions.txt?lang=en")) as r:
        assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
        text = await r.text()
    assert ">> ANRIETTE ESTERHUYSEN: Good morning & welcome <all>" in text
    assert "Señora Présidente — 発言" in text
    async with http.get(server.url(f"{S}/captions.txt?lang=xx")) as r:
        assert r.status == 400


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
async def test_webvtt_download_passes_the_w3c_parser(server, http, captioned):
    async with http.get(server.url(f"{S}/captions.vtt?lang=en")) as r:
        assert r.status == 200 and r.content_type == "text/vtt"
        vtt = await r.text()
    assert vtt.startswith("WEBVTT")
    assert "<v ANRIETTE ESTERHUYSEN>Good morning &amp; welcome &lt;all&gt;" in vtt
    script = ("const {WebVTTParser} = require('webvtt-parser');"
              "const p = new WebVTTParser(require('webvtt-parser/html-entities.json'));"
              "let s = ''; process.stdin.on('data', d => s += d); process.stdin.on('end', () => {"
              "const t = p.parse(s); console.log(JSON.stringify({errors: t.errors, cues: t.cues.length})); });")
    done = subprocess.run(["node", "-e", script], input=vtt, capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["errors"] == [] and result["cues"] >= 3


async def test_segments_json(server, http, captioned):
    async with http.get(server.url(f"/api/meetings/{DEMO}/sessions/morning/captions?lang=en&after=1")) as r:
        data = await r.json()
    assert [s["seq"] for s in data["segments"]] == [2, 3] and data["tail"] == "Still typ"


async def test_pages_render(server, http, captioned):
    for path in (S, f"{S}/screen?lines=3", f"{S}/overlay?lines=2",
                 f"{S}/caption?t={captioned}"):
        async with http.get(server.url(path)) as r:
            assert r.status == 200, path
            html = await r.text()
            assert "data-captions" in html or "data-captioner" in html
    async with http.get(server.url(f"{S}/caption?t={captioned}")) as r:
        assert f"/ingest/zoom?t={captioned}" in await r.text()


async def test_admin_issues_another_captioner_link(server, http):
    admin = await server.token("admin")
    before = await server.links()
    async with http.post(server.url(f"/m/{DEMO}/admin/sessions/morning/captioner-links"), data={"t": admin}) as r:
        assert r.status == 200
        assert "Another captioner link was issued" in await r.text()
    from server.storage import meetings as meetings_db
    from server.web.keys import db_key, link_key_key

    links = await meetings_db.active_links(server.app[db_key], server.app[link_key_key], 1)
    morning = [link for link in links if link.role.value == "captioner" and link.session_id == "morning"]
    assert len(morning) == 2 and len(before) == 14
    async with http.post(server.url(f"/m/{DEMO}/admin/sessions/morning/captioner-links"),
                         data={"t": await server.token("moderator", "morning")}) as r:
        assert r.status == 403


async def test_caption_paths_in_openapi(server, http):
    async with http.get(server.url("/api/openapi.json")) as r:
        paths = (await r.json())["paths"]
    for path in ("/m/{slug}/s/{session_id}/ingest/{kind}", "/captions", "/m/{slug}/s/{session_id}/captions.vtt",
                 "/api/meetings/{slug}/sessions/{session_id}/captions"):
        assert path in paths
