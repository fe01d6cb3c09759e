"""The HTML transcript as served: styled under the server's Content-Security-Policy, so a search hit it opens at is
highlighted, and the browser reports no policy violation."""

from __future__ import annotations

import pytest

from ..conftest import DEMO
from ..test_rapporteur import Replay

pytestmark = pytest.mark.browser
WAIT_MS = 5000


@pytest.fixture
async def replay(server, http, connect) -> Replay:
    return await Replay().run(server, http, connect)


async def test_a_search_hit_opens_highlighted_in_the_served_transcript(replay, server, http, browser):
    async with http.get(server.url(f"/api/meetings/{DEMO}/search"),
                        params={"t": replay.rapporteur, "q": '"mandate from Tunis"'}) as r:
        hit = (await r.json())["hits"][0]
    assert hit["url"].endswith("#seg-2")
    page = await (await browser.new_context()).new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    await page.add_init_script("window.violations = [];"
                               "document.addEventListener('securitypolicyviolation',"
                               " e => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));")
    response = await page.goto(server.url(hit["url"]))
    await page.locator("#seg-2").wait_for(timeout=WAIT_MS)
    hit_colour = await page.eval_on_selector("#seg-2", "e => getComputedStyle(e).backgroundColor")
    other_colour = await page.eval_on_selector("#seg-1", "e => getComputedStyle(e).backgroundColor")
    assert (hit_colour, other_colour) == ("rgb(255, 243, 176)", "rgba(0, 0, 0, 0)")
    assert await page.eval_on_selector("body", "e => getComputedStyle(e).maxWidth") == "768px"  # 48rem
    assert await page.evaluate("window.violations") == []
    assert not [line for line in console if "Content Security Policy" in line], console
    # The policy allows that one <style> element by its hash, and no other inline style.
    assert response is not None and "style-src 'self' 'sha256-" in response.headers["content-security-policy"]
