"""Copy buttons beside the captioner's ingest addresses: the Clipboard API over http on localhost, and the text
selected for the keyboard where the browser offers no clipboard."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from ..conftest import DEMO

pytestmark = pytest.mark.browser
WAIT_MS = 5000


async def test_ingest_addresses_are_copied_with_feedback(server, browser):
    url = server.url(f"/m/{DEMO}/s/morning/caption?t={await server.token('captioner', 'morning')}")
    context = await browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = await context.new_page()
    await page.goto(url)
    field = page.get_by_label("Zoom-compatible caption URL", exact=True)
    button = page.get_by_role("button", name="Copy: Zoom-compatible caption URL")
    await button.click()
    await expect(button).to_have_text("Copied", timeout=WAIT_MS)
    await expect(page.get_by_role("status").filter(has_text="Copied")).to_have_count(1)
    assert await page.evaluate("navigator.clipboard.readText()") == await field.input_value()
    assert "/ingest/zoom?t=" in await field.input_value()
    for name in ("YouTube-compatible caption URL", "StreamText-style caption URL", "Sequence number URL",
                 "Captioner bridge command"):
        await expect(page.get_by_role("button", name=f"Copy: {name}")).to_be_visible()

    # No Clipboard API (an old browser, or a page it is refused to): the address is selected for Ctrl+C.
    bare = await (await browser.new_context()).new_page()
    await bare.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined});")
    await bare.goto(url)
    button = bare.get_by_role("button", name="Copy: YouTube-compatible caption URL")
    await button.click()
    await expect(button).to_have_text(re.compile("^(Copied|Selected: press Ctrl\\+C)$"), timeout=WAIT_MS)
    selected = await bare.evaluate("""() => { const e = document.activeElement;
        return [e.getAttribute('aria-label'), e.selectionStart, e.selectionEnd, e.value.length]; }""")
    assert selected[0] == "YouTube-compatible caption URL" and selected[1] == 0 and selected[2] == selected[3], selected
