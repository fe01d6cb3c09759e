"""One caption line taller than the caption area: it wraps, even where a word is longer than the line, and its end
(the newest text) stays in view on the participant page, the room screen and the OBS overlay."""

from __future__ import annotations

import pytest

from ..conftest import DEMO
from ..test_questions import start

pytestmark = pytest.mark.browser
WAIT_MS = 5000
SIZES = [(1024, 768), (375, 740)]
PAGES = {"session": "", "room screen": "/screen", "overlay": "/overlay"}
#: 2,000 characters in one line: words, then one word far longer than any screen is wide, then the marker the
#: test looks for at the very end.
WORDS = "The chair thanks the delegations of every region for their patience during the long debate. " * 9
LINE = (WORDS + "x" * 2000)[:1997] + "END"

LAST_CHARACTER = """() => {
    const area = document.querySelector('[data-captions-view]');
    const walker = document.createTreeWalker(area, NodeFilter.SHOW_TEXT);
    let last = null;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.textContent.trim()) last = node;
    }
    const text = last.textContent.replace(/\\s+$/, '');
    const range = document.createRange();
    range.setStart(last, text.length - 1);
    range.setEnd(last, text.length);
    const box = r => ({top: r.top, bottom: r.bottom, left: r.left, right: r.right});
    return {char: box(range.getBoundingClientRect()), area: box(area.getBoundingClientRect()),
            text: text.slice(-3), viewport: [innerWidth, innerHeight],
            wide: document.documentElement.scrollWidth - innerWidth};
}"""


def inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    """Whether a box lies within another (a pixel of rounding allowed)."""
    return (inner["top"] >= outer["top"] - 1 and inner["bottom"] <= outer["bottom"] + 1
            and inner["left"] >= outer["left"] - 1 and inner["right"] <= outer["right"] + 1)


@pytest.mark.parametrize("final", [True, False], ids=["finished line", "live line"])
@pytest.mark.parametrize("width,height", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_the_end_of_a_caption_line_taller_than_the_area_stays_in_view(server, http, connect, browser, width,
                                                                            height, final):
    await start(server, http)
    context = await browser.new_context(viewport={"width": width, "height": height})
    pages = {}
    for name, suffix in PAGES.items():
        pages[name] = page = await context.new_page()
        await page.goto(server.url(f"/m/{DEMO}/s/morning{suffix}"))
        await page.locator(".connection[data-status=online], [data-captions-view]").first.wait_for(
            state="attached", timeout=WAIT_MS)
    assert len(LINE) == 2000
    captioner = await connect("/caption", session="morning", t=await server.token("captioner", "morning"))
    reply = await captioner.call("caption_append", {"lang": "en", "text": LINE + ("\n" if final else "")},
                                 namespace="/caption", timeout=5)
    assert reply["ok"], reply
    for name, page in pages.items():
        await page.locator("[data-captions-view]").filter(has_text="xxxEND").wait_for(timeout=WAIT_MS)
        if name == "session":  # a document: on a phone the reader scrolls down to its captions (the screens cannot)
            await page.locator("[data-captions-view]").evaluate("area => area.scrollIntoView({block: 'end'})")
        found = await page.evaluate(LAST_CHARACTER)
        viewport = {"top": 0, "left": 0, "right": found["viewport"][0], "bottom": found["viewport"][1]}
        assert found["text"] == "END", (name, found)
        assert found["wide"] <= 0, (name, found)                   # the long word wrapped: no sideways scrolling
        assert inside(found["char"], found["area"]), (name, found)  # the newest text is in the caption area
        assert inside(found["char"], viewport), (name, found)       # and in the window
    await context.close()
