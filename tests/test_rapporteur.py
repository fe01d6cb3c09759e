"""The rapporteur's side through the real server: a replayed session with known attendance, interventions and
questions, checked figure by figure in the pack and the summary; downloads, edits, diffs and search."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest

from .conftest import DEMO, WAIT
from .test_questions import call, register, start

ROOT = Path(__file__).resolve().parents[1]
S = f"/m/{DEMO}/s/morning"

PEOPLE = {
    "az1": {"name": "Aygun Aliyeva", "organisation": "Ministry of ICT", "country": "AZ", "group": "government",
            "mode": "onsite"},
    "az2": {"name": "Rashad Mammadov", "organisation": "Ministry of ICT", "country": "AZ", "group": "government",
            "mode": "remote"},
    "br": {"name": "Benedicto Fonseca", "organisation": "Ministry of External Relations", "country": "BR",
           "group": "government", "mode": "onsite"},
    "itu1": {"name": "Preetam Maloor", "organisation": "ITU", "country": "CH", "group": "igo", "mode": "onsite"},
    "itu2": {"name": "Gary Fowlie", "organisation": "ITU", "country": "US", "group": "igo", "mode": "remote"},
    "za": {"name": "Anriette Esterhuysen", "organisation": "APC", "country": "ZA", "group": "civil",
           "mode": "remote"},
    "gb": {"name": "Nigel Hickson", "organisation": "ICANN", "country": "GB", "group": "technical",
           "mode": "onsite", "listed": False},
    "hub": {"name": "Grace Githaiga", "organisation": "KICTANet", "country": "KE", "group": "civil", "mode": "hub"},
}
for _body in PEOPLE.values():
    _body.setdefault("listed", True)  # consent to the annex is explicit at registration
CAPTIONS = [">> CHAIR: Good morning and welcome to this session on enhanced cooperation",
            "The mandate from Tunis asks us to find a way forward",
            "<script>alert('x')</script> & <b>bold</b> claims",
            ">> Thank you Chair, Brazil speaks on behalf of the G77 and China"]


class Replay:
    """The morning session replayed: who came, who spoke, which questions were asked and what became of them."""

    async def run(self, server: Any, http: Any, connect: Any) -> Replay:
        await start(server, http)
        self.server, self.http = server, http
        self.clients: dict[str, Any] = {}
        # The Nairobi hub is registered once by the admin; Grace registers at it.
        admin = await server.token("admin")
        async with http.post(server.url(f"/api/meetings/{DEMO}/hubs?t={admin}"), json={
                "name": "Nairobi hub", "city": "Nairobi", "country": "KE", "host_organisation": "KICTANet",
                "group": "civil", "expected_headcount": 23}) as r:
            assert r.status == 201, await r.text()
            hub = (await r.json())["hub"]["id"]
        for key, body in PEOPLE.items():
            cookies = await register(server, {**body, "hub": hub} if key == "hub" else body)
            # Connecting to the session with the participant cookie records attendance.
            self.clients[key] = await connect("/live", session="morning", cookies=cookies)
        self.mod = await connect("/moderate", session="morning", t=await server.token("moderator", "morning"))
        await self.captions()
        await self.floor()
        await self.questions()
        self.rapporteur = await server.token("rapporteur", "morning")
        return self

    async def captions(self) -> None:
        token = await self.server.token("captioner", "morning")
        for n, line in enumerate(CAPTIONS, start=1):
            url = self.server.url(f"{S}/ingest/zoom?t={token}&seq={n}&lang=en-US")
            async with self.http.post(url, data=f"{line}\n".encode()) as r:  # each post a finished line
                assert r.status == 200, await r.text()

    async def mod_do(self, event: str, **data: Any) -> dict[str, Any]:
        reply = await call(self.mod, event, data, "/moderate")
        assert reply["ok"], reply
        return reply

    async def floor(self) -> None:
        for who, extra in (("az1", {}), ("br", {"kind": "on_behalf", "on_behalf_of": "the G77 and China"}),
                           ("za", {})):
            reply = await call(self.clients[who], "floor_request", extra)
            assert reply["ok"], reply
            await self.mod_do("floor_call_next")
            await self.mod_do("floor_end")
        reply = await call(self.clients["gb"], "floor_request", {})
        assert reply["ok"], reply
        rid = reply.get("request_id") or reply.get("id") or reply["request"]["id"]
        assert (await call(self.clients["gb"], "floor_withdraw", {"request_id": rid}))["ok"]

    async def questions(self) -> None:
        ids = []
        for who, text in (("za", "How will remote hubs be heard?"), ("za", "Who funds the <i>IGF</i>?"),
                          ("za", "What is lunch?"), ("gb", "Is there a mapping document?")):
            reply = await call(self.clients[who], "question_submit", {"text": text})
            assert reply["ok"], reply
            ids.append(reply["id"])
        await self.mod_do("question_publish", id=ids[0])
        await self.mod_do("question_answer", id=ids[0])
        await self.mod_do("question_publish", id=ids[1])
        await self.mod_do("question_dismiss", id=ids[2], reason="off_topic")

    async def get(self, path: str, **query: str) -> tuple[int, bytes, Any]:
        params = {"t": self.rapporteur, **query}
        async with self.http.get(self.server.url(path), params=params) as r:
            return r.status, await r.read(), r.headers


@pytest.fixture
async def replay(server, http, connect) -> Replay:
    return await Replay().run(server, http, connect)


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


async def test_pack_figures_match_the_replayed_session(replay):
    status, body, headers = await replay.get(f"{S}/pack.zip")
    assert status == 200 and headers["Content-Type"] == "application/zip"
    files = unzip(body)
    for name in ("README.txt", "transcript.en.txt", "transcript.en.vtt", "transcript.en.srt", "transcript.en.html",
                 "transcript.en.docx", "transcript.json", "summary.md", "summary.html", "summary.docx",
                 "figures.json", "figures.csv", "annex.csv"):
        assert name in files, sorted(files)
    figs = json.loads(files["figures.json"])
    a = figs["attendance"]
    assert {g["group"]: (g["count"], g["persons"]) for g in a["by_group"] if g["persons"]} == {
        "government": (2, 3), "igo": (2, 2), "civil": (2, 2), "technical": (1, 1)}
    assert (a["governments"], a["igo_organisations"], a["others"], a["persons"]) == (2, 0, 5, 8)
    assert a["by_mode"] == {"onsite": 4, "remote": 3, "hub": 1}
    assert [(h["name"], h["city"], h["country"], h["expected_headcount"], h["registered"], h["people"])
            for h in a["hubs"]] == [("Nairobi hub", "Nairobi", "KE", 23, 1, 23)]
    c = figs["contributions"]
    assert c["interventions"] == 3 and (c["governments"], c["others"]) == (2, 1)
    assert c["by_kind"] == {"normal": 2, "point_of_order": 0, "right_of_reply": 0, "on_behalf": 1, "presentation": 0,
                            "interposed_question": 0}
    assert c["on_behalf_of"] == ["the G77 and China"]
    assert [(r["country"], r["interventions"]) for r in c["by_country"]] == [("AZ", 1), ("BR", 1), ("ZA", 1)]
    assert {g["group"]: g["interventions"] for g in c["by_group"] if g["interventions"]} == {
        "government": 2, "civil": 1}
    export = json.loads(files["transcript.json"])
    spoken = export["interventions"]
    assert [(i["name"], i["kind"]) for i in spoken] == [("Aygun Aliyeva", "normal"),
                                                        ("Benedicto Fonseca", "on_behalf"),
                                                        ("Anriette Esterhuysen", "normal")]
    floor = figs["floor"]
    assert floor["total_ms"] == sum(i["end_ms"] - i["start_ms"] for i in spoken)
    assert {r["side"]: r["interventions"] for r in floor["by_side"]} == {"room": 2, "remote": 1, "hub": 0}
    assert floor["avg_wait_ms"] is not None and floor["avg_wait_ms"] >= 0
    assert figs["unserved"]["total"] == 1 and figs["unserved"]["withdrawn"] == 1
    assert figs["unserved"]["by_group"] == [{"group": "technical", "label": "Technical community", "requests": 1}]
    q = figs["questions"]
    assert (q["received"], q["published"], q["answered"], q["dismissed"], q["pending"]) == (4, 2, 1, 1, 1)
    assert q["dismissed_by_reason"] == {"off_topic": 1}
    annex = list(csv.DictReader(io.StringIO(files["annex.csv"].decode("utf-8-sig"))))
    assert "Nigel Hickson" not in {r.get("name") or r.get("Name") for r in annex} and len(annex) == 7
    summary = files["summary.md"].decode()
    assert "It was attended by 2 governments and 5 other participants, who are listed in an Annex." in summary
    assert "Contributions to the debate were made by 2 governments and by 1 participant" in summary


async def test_counting_rules_change_the_figures(replay):
    _, body, _ = await replay.get(f"{S}/pack.zip", igo="organisations", on_behalf="exclude")
    figs = json.loads(unzip(body)["figures.json"])
    a, c = figs["attendance"], figs["contributions"]
    assert (a["governments"], a["igo_organisations"], a["others"]) == (2, 1, 3)
    assert (c["governments"], c["others"]) == (1, 1)
    summary = unzip(body)["summary.md"].decode()
    assert "2 governments, 1 intergovernmental organisation and 3 other participants" in summary
    status, body, _ = await replay.get(f"{S}/pack.zip", igo="countries")
    assert status == 400 and b"igo must be persons or organisations" in body


async def test_downloads_need_a_rapporteur_link(replay, server, http):
    for token in ("", await server.token("participant"), await server.token("rapporteur", "afternoon")):
        async with http.get(server.url(f"{S}/transcript.txt"), params={"t": token}) as r:
            assert r.status == 403
    # A session's rapporteur cannot take the whole meeting; the meeting-wide one and the admin can.
    async with http.get(server.url(f"/m/{DEMO}/pack.zip"), params={"t": replay.rapporteur}) as r:
        assert r.status == 403
    for token in (await server.token("rapporteur"), await server.token("admin")):
        async with http.get(server.url(f"/m/{DEMO}/pack.zip"), params={"t": token}) as r:
            assert r.status == 200
            files = unzip(await r.read())
    assert {"summary.md", "figures.json", "sessions/morning/transcript.en.txt",
            "sessions/closing/figures.json"} <= set(files)
    assert json.loads(files["figures.json"])["questions"]["received"] == 4


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
async def test_webvtt_passes_the_w3c_parser_and_docx_opens(replay):
    status, body, headers = await replay.get(f"{S}/transcript.vtt", lang="en")
    assert status == 200 and headers["Content-Type"].startswith("text/vtt")
    check = ("const {WebVTTParser} = require('webvtt-parser');"
             "const p = new WebVTTParser(require('webvtt-parser/html-entities.json'));"
             "let s = ''; process.stdin.on('data', d => s += d).on('end', () => {"
             "const t = p.parse(s); console.log(JSON.stringify({errors: t.errors, cues: t.cues.length})); });")
    out = subprocess.run(["node", "-e", check], input=body, cwd=ROOT, capture_output=True, timeout=30)
    result = json.loads(out.stdout)
    assert result["errors"] == [] and result["cues"] >= len(CAPTIONS), result
    status, body, _ = await replay.get(f"{S}/transcript.docx")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(body)).paragraphs)
    assert "The mandate from Tunis asks us to find a way forward" in text and "<script>" in text


async def test_html_transcript_has_no_script_from_user_text(replay):
    status, body, _headers = await replay.get(f"{S}/transcript.html")
    page = body.decode()
    assert status == 200 and "<script" not in page.lower()
    assert "&lt;script&gt;alert(" in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert 'id="seg-2"' in page
    status, body, _ = await replay.get(f"{S}/rapporteur")
    page = body.decode()
    assert status == 200 and "&lt;script&gt;alert(" not in page.split("<textarea")[0]
    assert "<script>alert" not in page and "<i>IGF</i>" not in page
    assert "Who funds the &lt;i&gt;IGF&lt;/i&gt;?" in page  # a question put, in the summary preview


async def test_edit_makes_a_version_raw_stays_and_diff_shows_words(replay, server, http):
    api = server.url(f"/api/meetings/{DEMO}/sessions/morning/transcript")
    body = {"author": "Rapporteur <Ann>", "note": "names", "base": 0, "edits": [
        {"lang": "en", "seq": 2, "text": "The mandate from Tunis asks us to <find> a way forward now",
         "speaker": "BENEDICTO FONSECA"}]}
    async with http.post(f"{api}/versions", params={"t": replay.rapporteur}, json=body) as r:
        assert r.status == 201 and (await r.json())["version"] == 1
    async with http.post(f"{api}/versions", params={"t": replay.rapporteur}, json=body) as r:
        assert r.status == 409 and (await r.json())["error"]["code"] == "version_conflict"
    async with http.post(f"{api}/versions", params={"t": replay.rapporteur}, json={**body, "base": 1}) as r:
        assert r.status == 400 and (await r.json())["error"]["code"] == "no_changes"
    bad = {**body, "base": 1, "edits": [{"lang": "en", "seq": 99, "text": "x"}]}
    async with http.post(f"{api}/versions", params={"t": replay.rapporteur}, json=bad) as r:
        assert r.status == 400
    _, raw, _ = await replay.get(f"{S}/transcript.txt", version="raw")
    _, edited, _ = await replay.get(f"{S}/transcript.txt", version="latest")
    _, first, _ = await replay.get(f"{S}/transcript.txt", version="1")
    assert b"asks us to find a way forward" in raw and b"<find>" not in raw and b"BENEDICTO FONSECA" not in raw
    assert b"to <find> a way forward now" in edited and b"BENEDICTO FONSECA" in edited and first == edited
    status, _, _ = await replay.get(f"{S}/transcript.txt", version="7")
    assert status == 404
    async with http.get(f"{api}/versions", params={"t": replay.rapporteur}) as r:
        versions = (await r.json())["versions"]
    assert [(v["version"], v["author"], v["edits"]) for v in versions] == [(1, "Rapporteur <Ann>", 1)]
    async with http.get(server.url(f"{S}/transcript/diff"), params={"t": replay.rapporteur, "to": "1"}) as r:
        fragment = await r.text()
    assert "<ins>&lt;find&gt;</ins>" in fragment and "<del>find</del>" in fragment and "<ins> now</ins>" in fragment
    assert "Speaker: <del>CHAIR</del> → <ins>BENEDICTO FONSECA</ins>" in fragment
    _, page, _ = await replay.get(f"{S}/rapporteur")
    assert b'Version 1</a> by <span dir="auto">Rapporteur &lt;Ann&gt;</span>' in page
    assert b"<ins>&lt;find&gt;</ins>" in page
    # A captioner may correct too; a participant may not.
    captioner = await server.token("captioner", "morning")
    async with http.get(f"{api}/versions", params={"t": captioner}) as r:
        assert r.status == 200
    async with http.get(f"{api}/versions", params={"t": await server.token("participant")}) as r:
        assert r.status == 403


async def test_search_finds_a_phrase_and_links_to_its_segment(replay, server, http):
    search = server.url(f"/api/meetings/{DEMO}/search")
    async with http.get(search, params={"t": replay.rapporteur, "q": '"mandate from Tunis"'}) as r:
        hits = (await r.json())["hits"]
    assert [(h["session_id"], h["seq"], h["version"]) for h in hits] == [("morning", 2, 0)]
    assert hits[0]["url"].endswith("#seg-2") and "transcript.html" in hits[0]["url"]
    async with http.get(server.url(hits[0]["url"].split("#")[0])) as r:
        assert 'id="seg-2"' in await r.text()
    async with http.get(search, params={"t": replay.rapporteur, "q": "alert"}) as r:
        hit = (await r.json())["hits"][0]
    assert "<script>" not in hit["snippet_html"] and "&lt;script&gt;<mark>alert</mark>" in hit["snippet_html"]
    # New captions and edits are indexed on the next search, incrementally.
    token = await server.token("captioner", "morning")
    url = server.url(f"{S}/ingest/zoom?t={token}&seq=5&lang=en-US")
    async with http.post(url, data=b"Multistakeholder hubs\n") as r:
        assert r.status == 200
    edit = {"edits": [{"lang": "en", "seq": 1, "text": "Good morning, welcome to the Baku dialogue"}]}
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/transcript/versions"),
                         params={"t": replay.rapporteur}, json=edit) as r:
        assert r.status == 201
    async with http.get(search, params={"t": replay.rapporteur, "q": "multistakeholder OR baku"}) as r:
        found = {(h["seq"], h["version"]) for h in (await r.json())["hits"]}
    assert found == {(5, 0), (1, 1)}
    for bad in ('"unterminated', "AND", "a NEAR("):
        async with http.get(search, params={"t": replay.rapporteur, "q": bad}) as r:
            assert r.status == 400 and (await r.json())["error"]["code"] == "invalid_query", bad
    _, page, _ = await replay.get(f"{S}/rapporteur", q="Tunis")
    assert b"<mark>Tunis</mark>" in page and b"#seg-2" in page


async def test_presenters_are_marked_and_exported(replay, server, http):
    _, body, _ = await replay.get(f"/api/meetings/{DEMO}/sessions/morning/transcript")
    _, export, _ = await replay.get(f"{S}/transcript.json")
    ids = {a["name"]: a["participant_id"] for a in json.loads(export)["attendance"]}
    async with http.post(server.url(f"{S}/presenters"), allow_redirects=False,
                         data={"t": replay.rapporteur, "presenter": str(ids["Benedicto Fonseca"])}) as r:
        assert r.status == 303
    _, body, _ = await replay.get(f"{S}/pack.zip")
    figs = json.loads(unzip(body)["figures.json"])
    assert [p["name"] for p in figs["presenters"]] == ["Benedicto Fonseca"]


async def test_run_export_writes_the_meeting_pack(replay, server, tmp_path):
    out = tmp_path / "meeting.zip"
    data = server.settings.data_dir
    store = ["--database", server.settings.database] if server.settings.database else []

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "run.py", "--data", str(data), *store, "--plain-logs", "export", *args],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)

    result = await asyncio.wait_for(asyncio.to_thread(run, "--meeting", DEMO, "-o", str(out)), WAIT * 12)
    assert result.returncode == 0, result.stderr
    assert "[1/3]" in result.stderr and "[3/3]" in result.stderr and "closing" in result.stderr
    files = unzip(out.read_bytes())
    assert {"summary.md", "figures.json", "annex.csv", "sessions/morning/transcript.en.vtt"} <= set(files)
    assert json.loads(files["sessions/morning/figures.json"])["attendance"]["by_mode"]["hub"] == 1
    vtt = tmp_path / "morning.vtt"
    result = await asyncio.to_thread(run, "--meeting", DEMO, "--session", "morning", "--format", "vtt",
                                     "-o", str(vtt))
    assert result.returncode == 0 and vtt.read_text().startswith("WEBVTT")
    result = await asyncio.to_thread(run, "--meeting", DEMO, "--format", "txt")
    assert result.returncode == 2 and "--session" in result.stderr


async def test_the_summary_draft_downloads_in_the_pages_language_or_the_one_chosen(replay, server, http):
    # The page's language (here the browser's, Arabic) is the draft's: right to left, CLDR plurals.
    arabic = {"Accept-Language": "ar-EG,ar;q=0.9"}
    params = {"t": replay.rapporteur}
    async with http.get(server.url(f"{S}/summary.html"), params=params, headers=arabic) as r:
        assert r.status == 200 and r.content_type == "text/html"
        assert r.headers["Content-Disposition"] == f'attachment; filename="{DEMO}-morning-summary-ar.html"'
        page = await r.text()
    assert '<html lang="ar" dir="rtl">' in page
    assert "حضر حكومتان و5 مشاركين آخرين، وترد أسماؤهم في مرفق." in page
    assert "قُدمت مساهمات في المناقشة من جانب حكومتين ومن جانب مشارك واحد من فئات أصحاب المصلحة الأخرى." in page
    assert "Who funds the &lt;i&gt;IGF&lt;/i&gt;?" in page  # a question's words stay as written, escaped
    # ?ui= chooses the page's language; ?lang= names another for the draft alone.
    status, body, headers = await replay.get(f"{S}/summary.docx", ui="ar")
    assert status == 200 and headers["Content-Disposition"].endswith('-summary-ar.docx"')
    document = docx.Document(io.BytesIO(body))
    assert "المناقشة" in [p.text for p in document.paragraphs]
    assert all(p._p.pPr is not None and p._p.pPr.find(docx.oxml.ns.qn("w:bidi")) is not None
               for p in document.paragraphs)
    async with http.get(server.url(f"{S}/summary.md"), params={**params, "lang": "fr"}, headers=arabic) as r:
        assert r.status == 200 and r.content_type == "text/markdown"
        assert "Y ont participé 2 gouvernements et 5 autres participants" in await r.text()
    status, body, _ = await replay.get(f"{S}/summary.md")
    assert "It was attended by 2 governments and 5 other participants, who are listed in an Annex." in body.decode()
    # The pack's summary follows the same choice; its figures do not change.
    status, body, _ = await replay.get(f"{S}/pack.zip", lang="ru")
    files = unzip(body)
    assert "Присутствовали: 2 правительства и 5 других участников" in files["summary.md"].decode()
    assert json.loads(files["figures.json"])["attendance"]["governments"] == 2


async def test_a_summary_in_an_unknown_language_is_refused(replay, server, http):
    status, body, _ = await replay.get(f"{S}/summary.md", lang="de")
    assert status == 400 and b"Choose the language of the summary draft from the list." in body
    async with http.get(server.url(f"{S}/pack.zip"), params={"t": replay.rapporteur, "lang": "xx"},
                        headers={"Accept-Language": "fr"}) as r:
        assert r.status == 400 and "Choisissez la langue du projet de résumé dans la liste." in await r.text()
    for token in ("", await server.token("captioner", "morning"), await server.token("participant")):
        async with http.get(server.url(f"{S}/summary.md"), params={"t": token}) as r:
            assert r.status == 403
    status, _, _ = await replay.get(f"{S}/summary.md", lang="zh")  # and the server goes on serving
    assert status == 200


async def test_the_rapporteur_page_previews_and_offers_the_draft_in_its_language(replay):
    status, body, _ = await replay.get(f"{S}/rapporteur", ui="zh")
    page = body.decode()
    assert status == 200
    assert "出席者包括2个政府和5名其他与会者，名单载于附件。" in page  # the preview, in the page's language
    assert '<option value="zh" lang="zh" selected>' in page and page.count("<option value=") >= 6
    for fmt in ("md", "html", "docx"):
        assert f'formaction="/m/{DEMO}/s/morning/summary.{fmt}"' in page
    assert f'formaction="/m/{DEMO}/s/morning/pack.zip"' in page


async def test_run_export_writes_the_packs_summary_in_the_chosen_language(replay, server, tmp_path):
    data = server.settings.data_dir
    store = ["--database", server.settings.database] if server.settings.database else []

    def export(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "run.py", "--data", str(data), *store, "--plain-logs", "export",
                               "--meeting", DEMO, "--session", "morning", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)

    out = tmp_path / "morning.zip"
    result = await asyncio.wait_for(asyncio.to_thread(export, "--lang", "es", "-o", str(out)), WAIT * 12)
    assert result.returncode == 0, result.stderr
    assert "Asistieron 2 gobiernos y otros 5 participantes" in unzip(out.read_bytes())["summary.md"].decode()
    result = await asyncio.to_thread(export, "--lang", "de", "-o", str(tmp_path / "de.zip"))
    assert result.returncode == 2 and "no summary draft in language 'de'" in result.stderr
    assert not (tmp_path / "de.zip").exists()
