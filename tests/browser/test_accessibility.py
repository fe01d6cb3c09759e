"""Every page passes axe-core's accessibility rules (WCAG 2.1 A and AA) in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import DEMO

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


#: The low-bandwidth page reloads itself by design (it works with no JavaScript); it offers a link that pauses
#: the reloads, which WCAG 2.2.1 accepts ("turn off"), but axe flags any timed refresh.
EXCEPTIONS = {"low bandwidth": ["meta-refresh"]}


async def violations(page, url: str, skip: list[str]) -> list[str]:
    await page.goto(url)
    await page.wait_for_load_state("networkidle")
    await page.add_script_tag(path=str(AXE))
    rules = {rule: {"enabled": False} for rule in skip}
    result = await page.evaluate("rules => axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'best-practice'], rules})",
                                 rules)
    return [f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
            for v in result["violations"]]


async def test_pages_have_no_accessibility_violations(server, http, browser):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/setup-system.sh")
    moderator = await server.token("moderator", "morning")
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/start?t={moderator}")) as r:
        assert r.status == 200
    pages = {
        "meetings": "/",
        "meeting home": f"/m/{DEMO}",
        "join": f"/m/{DEMO}/join?t={await server.token('participant')}",
        "admin": f"/m/{DEMO}/admin?t={await server.token('admin')}",
        "session": f"/m/{DEMO}/s/morning",
        "room screen": f"/m/{DEMO}/s/morning/screen",
        "low bandwidth": f"/m/{DEMO}/s/morning/text",
        "moderator": f"/m/{DEMO}/s/morning/moderate?t={moderator}",
        "captioner": f"/m/{DEMO}/s/morning/caption?t={await server.token('captioner', 'morning')}",
        "rapporteur": f"/m/{DEMO}/s/morning/rapporteur?t={await server.token('rapporteur', 'morning')}",
        "error": f"/m/{DEMO}/admin?t=wrong",
    }
    # The pages' CSP forbids inline scripts, which is how axe is injected: bypass it for the checker only.
    page = await (await browser.new_context(bypass_csp=True)).new_page()
    found = {name: await violations(page, server.url(path), EXCEPTIONS.get(name, [])) for name, path in pages.items()}
    await page.goto(server.url(f"/m/{DEMO}/s/morning/text?pause=1"))
    assert await page.locator('meta[http-equiv="refresh"]').count() == 0
    bad = {name: v for name, v in found.items() if v}
    assert not bad, "\n".join(f"{name}: {line}" for name, lines in bad.items() for line in lines)
