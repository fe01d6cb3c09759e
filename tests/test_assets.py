"""Static files over real HTTP: the favicon, versioned URLs that can be cached for a year, modules that import each
other by versioned URL, Brotli/gzip as the client accepts, revalidation, and the no-JS page's size on the wire."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from server.web.assets import Assets

from .conftest import DEMO
from .test_questions import start

S = f"/m/{DEMO}/s/morning"
#: 20 caption lines of a long meeting day (the no-JS page shows the last 20).
LINE = "The chair thanked the delegations and opened the floor on the second theme, enhanced cooperation."


@pytest.fixture
async def raw() -> AsyncIterator[aiohttp.ClientSession]:
    """A client that keeps the bytes as sent (no decompression)."""
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        yield session


async def test_favicon_is_served_and_linked(server, raw):
    async with raw.get(server.url("/favicon.ico")) as r:
        assert r.status == 200 and r.content_type == "image/x-icon"
        assert (await r.read())[:4] == b"\0\0\1\0"   # an ICO header
    async with raw.get(server.url(f"/m/{DEMO}"), headers={"Accept-Encoding": "identity"}) as r:
        html = (await r.read()).decode()
    svg = re.search(r'<link rel="icon" href="([^"]+\.svg\?v=\w+)"', html)
    assert svg, html[:600]
    async with raw.get(server.url(svg.group(1))) as r:
        assert r.status == 200 and r.content_type == "image/svg+xml"


async def test_static_files_are_versioned_compressed_and_cacheable(server, raw):
    async with raw.get(server.url(f"/m/{DEMO}"), headers={"Accept-Encoding": "identity"}) as r:
        html = (await r.read()).decode()
    script = re.search(r'<script type="module" src="(/static/app\.js\?v=(\w+))"', html)
    style = re.search(r'<link rel="stylesheet" href="(/static/floorcast\.css\?v=\w+)"', html)
    assert script and style, html[:800]
    for coding in ("br", "gzip"):
        async with raw.get(server.url(script.group(1)), headers={"Accept-Encoding": coding}) as r:
            assert r.status == 200 and r.headers["Content-Encoding"] == coding
            assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert "Accept-Encoding" in r.headers["Vary"] and r.headers["ETag"] == f'"{script.group(2)}"'
    async with raw.get(server.url(style.group(1)), headers={"Accept-Encoding": "gzip, deflate, br"}) as r:
        packed = len(await r.read())
        assert r.headers["Content-Encoding"] == "br" and r.content_type == "text/css"
    async with raw.get(server.url(style.group(1)), headers={"Accept-Encoding": "identity"}) as r:
        assert "Content-Encoding" not in r.headers and packed * 3 < len(await r.read())
    # Every import inside a module names the version of what it imports.
    async with raw.get(server.url(script.group(1)), headers={"Accept-Encoding": "identity"}) as r:
        code = (await r.read()).decode()
    imports = re.findall(r'from "(\./[^"]+)"', code)
    assert imports and all(re.fullmatch(r"\./[\w./-]+\.js\?v=\w{12}", i) for i in imports), imports
    # An unversioned or stale URL is served too, but revalidated; the ETag answers 304.
    for url in ("/static/app.js", "/static/app.js?v=stale"):
        async with raw.get(server.url(url)) as r:
            assert r.status == 200 and r.headers["Cache-Control"] == "no-cache"
            etag = r.headers["ETag"]
    async with raw.get(server.url("/static/app.js"), headers={"If-None-Match": etag}) as r:
        assert r.status == 304 and await r.read() == b""
    for missing in ("/static/nothing.js", "/static/../server/settings.py", "/static/%2e%2e/run.py"):
        async with raw.get(server.url(missing)) as r:
            assert r.status == 404, missing


def test_a_changed_module_changes_the_version_of_what_imports_it(tmp_path: Path):
    (tmp_path / "leaf.js").write_text('export const a = 1;\n')
    (tmp_path / "mid.js").write_text('import { a } from "./leaf.js";\nexport const b = a;\n')
    (tmp_path / "app.js").write_text('import { b } from "./mid.js";\nimport("./leaf.js");\n')
    before = Assets(tmp_path)
    (tmp_path / "leaf.js").write_text('export const a = 2;\n')
    after = Assets(tmp_path)
    assert all(before.url(name) != after.url(name) for name in ("leaf.js", "mid.js", "app.js"))
    app = after.get("app.js")
    assert app is not None
    body = app.codings["identity"].decode()
    assert f'"./mid.js?v={after.url("mid.js").split("=")[1]}"' in body
    assert f'import("./leaf.js?v={after.url("leaf.js").split("=")[1]}")' in body


async def test_the_no_js_page_is_small_on_the_wire(server, http, raw, connect):
    await start(server, http)
    captioner = await connect("/caption", session="morning", t=await server.token("captioner", "morning"))
    for n in range(25):
        reply = await captioner.call("caption_append", {"lang": "en", "text": f"{n} {LINE}\n"}, namespace="/caption",
                                     timeout=5)
        assert reply["ok"], reply
    async with raw.get(server.url(f"{S}/text"), headers={"Accept-Encoding": "gzip"}) as r:
        body = await r.read()
        assert r.status == 200 and r.headers.get("Content-Encoding") == "gzip"
        assert "Accept-Encoding" in r.headers["Vary"]
    async with raw.get(server.url("/static/captions-text.css?v=x"), headers={"Accept-Encoding": "gzip, br"}) as r:
        style = await r.read()
    assert len(body) + len(style) < 5 * 1024, (len(body), len(style))
