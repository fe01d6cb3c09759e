"""The interface language over real HTTP and Socket.IO: chosen from Accept-Language or the remembered cookie,
switched from any page, served to the browser as JSON, and used for refusals, countries, languages and times."""

from __future__ import annotations

import re

from server.web.i18n import COOKIE, choose_locale

from .conftest import DEMO

S = f"/m/{DEMO}/s/morning"


def html_tag(body: str) -> str:
    found = re.search(r"<html[^>]*>", body)
    assert found, body[:200]
    return found.group(0)


def test_the_locale_comes_from_the_cookie_then_accept_language_then_english() -> None:
    assert choose_locale(None, "ar-EG,ar;q=0.9,en;q=0.5") == "ar"
    assert choose_locale(None, "zh-Hans-CN, en;q=0.3") == "zh"
    assert choose_locale(None, "de-CH, fr;q=0.8, en;q=0.5") == "fr"  # German is not offered: the next choice
    assert choose_locale(None, "en;q=0.1, ru;q=0.9") == "ru"         # by quality, not by order
    assert choose_locale(None, "de, pt-BR") == "en"
    assert choose_locale(None, "es;q=0, fr") == "fr"                 # q=0 means "not this one"
    assert choose_locale("es", "ar") == "es"                          # the remembered choice wins
    assert choose_locale("xx", "ar") == "ar"                          # a forged cookie is ignored
    assert choose_locale(None, None) == "en"


async def test_pages_follow_accept_language_with_direction(server, http):
    async with http.get(server.url(f"/m/{DEMO}"), headers={"Accept-Language": "ar-EG,ar;q=0.9"}) as r:
        body = await r.text()
        assert "Accept-Language" in r.headers.get("Vary", "")
    assert html_tag(body) == '<html lang="ar" dir="rtl">'
    assert "جدول الأعمال" in body and ">Agenda<" not in body
    async with http.get(server.url(f"/m/{DEMO}"), headers={"Accept-Language": "zh-CN,zh;q=0.9"}) as r:
        body = await r.text()
    assert html_tag(body) == '<html lang="zh" dir="ltr">' and "议程" in body
    async with http.get(server.url(f"/m/{DEMO}"), headers={"Accept-Language": "de"}) as r:
        body = await r.text()
    assert html_tag(body) == '<html lang="en" dir="ltr">' and ">Agenda<" in body


async def test_the_language_menu_is_on_every_page_and_is_remembered(server, http):
    async with http.get(server.url(S)) as r:
        body = await r.text()
    for code, name in [("ar", "العربية"), ("zh", "中文"), ("en", "English"), ("fr", "Français"), ("ru", "Русский"),
                       ("es", "Español")]:
        assert f'href="/language/{code}?next=/m/{DEMO}/s/morning" lang="{code}"' in body, code
        assert f">{name}</a>" in body
    async with http.get(server.url(f"/language/fr?next={S}"), allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == S
        assert r.cookies[COOKIE].value == "fr"
    # The session remembers it (aiohttp's cookie jar plays the browser): every later page is in French.
    async with http.get(server.url(f"/m/{DEMO}"), headers={"Accept-Language": "ar"}) as r:
        body = await r.text()
    assert html_tag(body) == '<html lang="fr" dir="ltr">' and "Ordre du jour" in body


async def test_the_language_switch_only_goes_back_to_this_site(server, http):
    for target in ["//evil.example/", "https://evil.example/", "/\\evil.example"]:
        async with http.get(server.url("/language/es"), params={"next": target}, allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/", target
    async with http.get(server.url("/language/de?next=/"), allow_redirects=False) as r:
        assert r.status == 404


async def test_the_browser_catalogue_is_built_from_the_same_po_files(server, http):
    async with http.get(server.url("/i18n/ar.json")) as r:
        assert r.status == 200
        ar = await r.json()
    assert ar["locale"] == "ar" and ar["plural_tags"] == ["zero", "one", "two", "few", "many", "other"]
    assert ar["messages"]["Live now"] == "مباشر الآن"
    assert len(ar["messages"]["{n} vote"]) == 6
    assert "Skip to content" not in ar["messages"]  # a template's message stays on the server
    async with http.get(server.url("/i18n/ru.json")) as r:
        ru = await r.json()
    assert ru["plural_tags"][:3] == ["one", "few", "many"] and len(ru["messages"]["{n} vote"]) == 3
    async with http.get(server.url("/i18n/xx.json")) as r:
        assert r.status == 404


async def test_socket_refusals_speak_the_language_of_the_page(server, connect):
    french = await connect("/live", cookies={COOKIE: "fr"}, session="morning")
    reply = await french.call("floor_request", {"kind": "normal"}, namespace="/live", timeout=5)
    assert reply["error"]["code"] == "not_registered"
    assert reply["error"]["message"] == ("Inscrivez-vous avec le lien que les organisateurs vous ont envoyé pour "
                                         "participer.")
    english = await connect("/live", session="morning")
    reply = await english.call("floor_request", {"kind": "normal"}, namespace="/live", timeout=5)
    assert reply["error"]["message"] == "Register with the join link the organisers sent you to take part."


async def test_error_pages_and_api_errors_are_translated(server, http):
    async with http.get(server.url(f"/m/{DEMO}/admin?t=wrong"), headers={"Accept-Language": "es"}) as r:
        assert r.status == 403
        body = await r.text()
    assert "Este enlace no es válido" in body and "/language/es?next=/\"" in body  # the menu leads home
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/transcript/versions"),
                         params={"t": await server.token("rapporteur", "morning")}, data="not json",
                         headers={"Accept-Language": "ru", "Content-Type": "application/json"}) as r:
        error = (await r.json())["error"]
    assert r.status == 400 and error["message"] == "тело запроса должно быть в формате JSON", error


async def test_countries_languages_and_times_in_the_readers_language(server, http):
    join = f"/m/{DEMO}/join?t={await server.token('participant')}"
    async with http.get(server.url(join), headers={"Accept-Language": "fr"}) as r:
        body = await r.text()
    assert '<option value="BR">Brésil</option>' in body and '<option value="DE">Allemagne</option>' in body
    async with http.get(server.url(join), headers={"Accept-Language": "zh"}) as r:
        assert '<option value="BR">巴西</option>' in await r.text()
    async with http.get(server.url(S), headers={"Accept-Language": "ru"}) as r:
        body = await r.text()
    assert '<option value="fr">французский</option>' in body  # caption languages named in the reader's language
    # Times say their zone: the meeting's (Baku, GMT+4), never a bare "(UTC)".
    async with http.get(server.url(f"/m/{DEMO}"), headers={"Accept-Language": "en"}) as r:
        body = await r.text()
    assert re.search(r'times in <span data-zone-label data-ms="\d+">GMT\+4</span> '
                     r'\(<span data-zone-id dir="ltr">Asia/Baku</span>\)', body), body
    assert re.search(r"<time data-ms=\"\d+\">[^<]+ \(GMT\+4\)</time>", body), body


async def test_rapporteur_attendance_columns_name_the_meeting_zone(server, http):
    token = await server.token("rapporteur", "morning")
    async with http.get(server.url(f"{S}/rapporteur?t={token}")) as r:
        body = await r.text()
    assert "(UTC)" not in body
    assert re.search(r'<th scope="col">First joined \(<span data-zone-label data-ms="\d+">GMT\+4</span>\)</th>', body)
    async with http.get(server.url(f"{S}/rapporteur?t={token}"), headers={"Cookie": f"{COOKIE}=ar"}) as r:
        body = await r.text()
    assert re.search(r'<th scope="col">أول انضمام \(<span data-zone-label data-ms="\d+">غرينتش\+4</span>\)</th>', body)


async def test_the_no_javascript_page_is_translated_and_keeps_the_captions_language(server, http):
    async with http.get(server.url(f"{S}/text?lang=fr"), headers={"Accept-Language": "ar"}) as r:
        body = await r.text()
    assert html_tag(body) == '<html lang="ar" dir="rtl">'
    assert '<div id="c" lang="fr" dir="auto">' in body
    assert "النص كاملًا" in body                                  # "Whole text"
    assert re.search(r"<time>[^<]*\(غرينتش\+4\)</time>", body), body  # a time as text, with its zone


async def test_refusals_built_from_values_are_said_by_their_code(server, http, connect):
    token = await server.token("participant")
    form = {"t": token, "name": "", "country": "BR", "group": "civil-society", "mode": "remote"}
    async with http.post(server.url(f"/m/{DEMO}/join"), data=form, headers={"Accept-Language": "fr"}) as r:
        body = await r.text()
    assert r.status == 400 and "Veuillez indiquer votre nom." in body
    async with http.post(server.url(f"/m/{DEMO}/join"), data=form, headers={"Accept-Language": "en"}) as r:
        assert "Please give your name." in await r.text()
    spanish = await connect("/live", cookies={COOKIE: "es"}, session="morning")
    reply = await spanish.call("no_such_event", {}, namespace="/live", timeout=5)
    assert reply["error"] == {"code": "unknown_event", "message": "Esta conexión no tiene ese evento."}
    english = await connect("/live", session="morning")
    reply = await english.call("no_such_event", {}, namespace="/live", timeout=5)
    assert reply["error"]["message"] == "no event 'no_such_event' here"  # English keeps the precise message


async def test_a_page_without_a_menu_takes_its_language_from_the_address(server, http):
    async with http.get(server.url(f"{S}/overlay?ui=ar&lang=fr"), headers={"Accept-Language": "en"}) as r:
        body = await r.text()
    assert html_tag(body) == '<html lang="ar" dir="rtl">' and 'aria-label="الترجمة النصية المباشرة"' in body
    assert '<ol class="caption-lines" data-caption-lines lang="fr" dir="auto"' in body
    async with http.get(server.url(f"{S}/overlay?ui=xx"), headers={"Accept-Language": "zh"}) as r:
        assert html_tag(await r.text()) == '<html lang="zh" dir="ltr">'
    async with http.get(server.url("/language/es"), params={"next": f"{S}/screen?ui=ar&lines=2"},
                        allow_redirects=False) as r:
        assert r.headers["Location"] == f"{S}/screen?ui=es&lines=2"  # the switch wins over the address


async def test_translations_with_quotes_stay_inside_their_attribute(server, http):
    from html.parser import HTMLParser

    class Placeholder(HTMLParser):
        found: str | None = None

        def handle_starttag(self, tag, attrs):
            if tag == "input" and ("id", "q") in attrs:
                self.found = dict(attrs).get("placeholder")

    token = await server.token("rapporteur", "morning")
    for locale, expected in [("en", 'e.g. "enhanced cooperation" OR hubs'),
                             ("fr", 'p. ex. "coopération renforcée" OR centres')]:
        async with http.get(server.url(f"{S}/rapporteur?t={token}&ui={locale}")) as r:
            parser = Placeholder()
            parser.feed(await r.text())
        assert parser.found == expected, locale


async def test_names_held_in_variables_are_translated_as_text_not_markup(server, http):
    admin = await server.token("admin")
    hub = {"name": "<b id=x>Hub</b>", "city": "Nairobi", "country": "KE", "group": "civil",
           "expected_headcount": 3}
    async with http.post(server.url(f"/api/meetings/{DEMO}/hubs?t={admin}"), json=hub) as r:
        assert r.status == 201, await r.text()
    for locale in ("en", "ar"):
        async with http.get(server.url(f"/m/{DEMO}/admin?t={admin}&ui={locale}")) as r:
            body = await r.text()
        assert "<b id=x>" not in body and "&lt;b id=x&gt;Hub&lt;/b&gt;" in body, locale
