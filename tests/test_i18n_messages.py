"""Messages the server builds from values, over the real server: a refusal that names a number or a name reaches
Socket.IO clients, API clients, people on a form and captioning tools in their language, the value written as a
reader of that language writes it (CLDR), and untrusted values stay text."""

from __future__ import annotations

import dataclasses

import pytest
from aiohttp import ClientSession

from server.settings import Settings
from server.web.i18n import COOKIE

from .conftest import DEMO
from .test_questions import ALICE, call, register, start

NNBSP = "\u202f"  # French groups thousands with a narrow no-break space
NBSP = "\u00a0"   # Russian with a no-break space
INGEST = f"/m/{DEMO}/s/morning/ingest"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Questions of up to 2,000 characters: a limit that a reader writes differently in each language."""
    return dataclasses.replace(settings, question_max_length=2000)


async def test_a_too_long_question_is_refused_in_french_and_arabic_with_the_limit_in_their_digits(
        server, http, connect):
    await start(server, http)
    cookies = await register(server, ALICE)
    text = "x" * 2001
    replies = {}
    for locale in ("fr", "ar", "en"):
        client = await connect("/live", session="morning", cookies={**cookies, COOKIE: locale})
        replies[locale] = (await call(client, "question_submit", {"text": text}))["error"]
    assert replies["fr"] == {"code": "text_too_long", "field": "text",
                             "message": f"La question dépasse 2{NNBSP}000 caractères."}
    assert replies["ar"] == {"code": "text_too_long", "field": "text", "message": "يتجاوز السؤال 2,000 حرفًا."}
    assert replies["en"]["message"] == "The question is longer than 2,000 characters."


async def test_a_time_limit_out_of_range_is_refused_in_the_moderators_language(server, connect):
    token = await server.token("moderator", "morning")
    french = await connect("/moderate", session="morning", t=token, cookies={COOKIE: "fr"})
    arabic = await connect("/moderate", session="morning", t=token, cookies={COOKIE: "ar"})
    for client, expected in [
        (french, f"seconds doit être un nombre de secondes de 1 à 86{NNBSP}400, ou null"),
        (arabic, "يجب أن يكون seconds عددًا من الثواني من 1 إلى 86,400 أو null"),
    ]:
        reply = await call(client, "floor_time_limit", {"seconds": 100_000}, ns="/moderate")
        assert reply["error"] == {"code": "invalid_format", "field": "seconds", "message": expected}
    # The refusal changed nothing, and the socket keeps serving.
    assert (await call(french, "floor_time_limit", {"seconds": 120}, ns="/moderate"))["ok"]


async def test_api_and_form_refusals_with_values_follow_the_readers_language(server, http: ClientSession):
    admin = await server.token("admin")
    hub = {"name": "Hub Nairobi", "city": "Nairobi", "country": "KE", "group": "civil",
           "expected_headcount": 100_001}
    for locale, expected in [("fr", f"L’effectif attendu doit être compris entre 1 et 100{NNBSP}000."),
                             ("ar", "يجب أن يكون العدد المتوقع للحضور بين 1 و100,000."),
                             ("en", "The expected headcount must be between 1 and 100,000.")]:
        async with http.post(server.url(f"/api/meetings/{DEMO}/hubs?t={admin}"), json=hub,
                             headers={"Accept-Language": locale}) as r:
            assert r.status == 400
            error = (await r.json())["error"]
        assert error == {"code": "invalid_headcount", "message": expected}, locale
    # A country among the values is named in the reader's language; an untrusted name stays text on the page.
    hub = {**hub, "name": "<b>Hub</b>", "expected_headcount": 20}
    async with http.post(server.url(f"/api/meetings/{DEMO}/hubs?t={admin}"), json=hub) as r:
        assert r.status == 201, await r.text()
    async with http.post(server.url(f"/api/meetings/{DEMO}/hubs?t={admin}"), json=hub,
                         headers={"Accept-Language": "fr"}) as r:
        error = (await r.json())["error"]
    assert error["code"] == "hub_exists"
    assert error["message"] == f"Un centre nommé «{NBSP}<b>Hub</b>{NBSP}» (Kenya) est déjà enregistré."
    form = {"t": admin, **{k: str(v) for k, v in hub.items()}}
    async with http.post(server.url(f"/m/{DEMO}/admin/hubs"), data=form, headers={"Accept-Language": "ar"}) as r:
        body = await r.text()
    assert "مركز باسم «&lt;b&gt;Hub&lt;/b&gt;» في كينيا مسجّل من قبل." in body and "<b>Hub</b>" not in body
    # The join form says the limit of a field in Arabic.
    join = {"t": await server.token("participant"), "name": "n" * 121, "country": "BR", "group": "civil",
            "mode": "remote"}
    async with http.post(server.url(f"/m/{DEMO}/join"), data=join, headers={"Accept-Language": "ar"}) as r:
        assert r.status == 400 and "يتسع الاسم لـ120 حرفًا كحد أقصى." in await r.text()


async def test_a_value_is_never_read_as_a_placeholder(server, connect):
    client = await connect("/live", session="morning", cookies={COOKIE: "es"})
    reply = await client.call("{message}{0}", {}, namespace="/live", timeout=5)
    assert reply["error"] == {"code": "unknown_event",
                              "message": "Esta conexión no tiene el evento «{message}{0}»."}


async def test_a_captioning_tool_is_answered_in_its_accept_language_with_the_code_first(server, http, live):
    url = server.url(f"{INGEST}/zoom?t={live}&seq=1&lang=de")
    async with http.post(url, data="Guten Tag\n", headers={"Accept-Language": "ru-RU,ru;q=0.9"}) as r:
        assert r.status == 400 and r.headers["Content-Language"] == "ru"
        assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
        body = await r.text()
    assert body == "unknown_language: В этом совещании нет языка субтитров «de» (есть: en и fr).\n"  # noqa: RUF001 (Russian)
    # A number in the message, in Russian digits; a browser's language cookie is not the tool's language.
    url = server.url(f"{INGEST}/zoom?t={live}&seq=3000000000")
    async with http.post(url, data="x\n", headers={"Accept-Language": "ru", "Cookie": f"{COOKIE}=fr"}) as r:
        body = await r.text()
    assert r.status == 400 and body == f"seq_out_of_range: seq должен быть не больше 2{NBSP}147{NBSP}483{NBSP}647\n"
    # Without Accept-Language: English, as before.
    async with http.post(server.url(f"{INGEST}/zoom?t={live}&seq=1&lang=de"), data="Guten Tag\n") as r:
        assert await r.text() == 'unknown_language: This meeting has no caption language "de" (it has en and fr).\n'
        assert r.headers["Content-Language"] == "en"
    # A wrong link is refused the same way.
    async with http.post(server.url(f"{INGEST}/zoom?t=wrong&seq=1"), data="x\n",
                         headers={"Accept-Language": "ru"}) as r:
        assert r.status == 403 and (await r.text()).startswith("forbidden: ")


async def test_a_search_refused_on_the_rapporteur_page_is_said_in_the_pages_language(server, http):
    token = await server.token("rapporteur", "morning")
    page = f"/m/{DEMO}/s/morning/rapporteur"
    async with http.get(server.url(page), params={"t": token, "q": "x" * 201, "ui": "fr"}) as r:
        assert r.status == 200
        body = await r.text()
    assert '<p class="error" role="alert">Tapez de 1 à 200 caractères à rechercher.</p>' in body
    async with http.get(server.url(page), params={"t": token, "q": '"open', "ui": "es"}) as r:
        body = await r.text()
    assert "Búsqueda no válida" in body and "Not a valid search" not in body


async def test_the_captioner_bridge_is_told_in_its_accept_language(server, http, live):
    url = server.url(f"{INGEST}/ws?t={live}").replace("http", "ws", 1)
    async with http.ws_connect(url, headers={"Accept-Language": "fr"}) as ws:
        assert (await ws.receive_json(timeout=5))["type"] == "hello"
        await ws.send_json({"type": "text", "seq": 1, "text": "Guten Tag\n", "lang": "de"})
        error = await ws.receive_json(timeout=5)
    assert error == {"type": "error", "seq": 1, "code": "unknown_language", "field": "lang",
                     "message": f"Cette réunion n’a pas de langue de sous-titres «{NBSP}de{NBSP}» (elle a en et fr)."}
