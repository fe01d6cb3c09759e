"""Bad input never becomes a server error: every integer and id a client sends goes through one strict parser,
and every refusal is a 4xx or a coded ACK while the server keeps serving."""

from __future__ import annotations

from typing import Any

import pytest
import socketio

from server.storage import meetings as meetings_db
from server.web.keys import db_key

from .conftest import DEMO, WAIT

S = f"/m/{DEMO}/s/morning"
API = f"/api/meetings/{DEMO}/sessions/morning"
#: Integers as text that only look like numbers, or are out of every bound.
BAD_TEXT = ["²", "١٢", "-0", "-1", "1e3", "0x10", "1_000", " 7", "+3", str(10 ** 30), "3.0", "\u0663"]
#: Integers as JSON values that are not whole numbers in range.
BAD_JSON: list[Any] = [10 ** 30, -(10 ** 30), 2 ** 63, -1, 1.5, "7", True, [], {}]
REMOTE = {"name": "Marilia Maciel", "organisation": "FGV", "country": "BR", "group": "academic", "mode": "remote"}


async def _status(http, method: str, url: str, **kwargs: Any) -> tuple[int, str]:
    async with http.request(method, url, allow_redirects=False, **kwargs) as r:
        return r.status, await r.text()


async def _still_serving(server, http) -> None:
    async with http.get(server.url("/healthz")) as r:
        assert r.status == 200


# -- HTTP query values ---------------------------------------------------------------------------------------------


QUERY_CASES = [
    ("GET", "/captions?event=" + DEMO + ":morning&last={v}"),
    ("GET", "/captions?event=" + DEMO + ":morning&length={v}"),
    ("GET", S + "/overlay?lines={v}"),
    ("GET", S + "/captions.xml?lines={v}"),
    ("GET", API + "/captions?after={v}"),
    ("GET", API + "/captions?limit={v}"),
    ("GET", S + "/transcript.txt?t={rapporteur}&version={v}"),
    ("GET", API + "/transcript?t={rapporteur}&version={v}"),
    ("GET", S + "/transcript/diff?t={rapporteur}&from={v}"),
    ("GET", S + "/transcript/diff?t={rapporteur}&to={v}"),
    ("GET", API + "/questions/audit?t={moderator}&after={v}"),
    ("GET", API + "/floor/audit?t={moderator}&after={v}"),
]


@pytest.mark.parametrize(("method", "template"), QUERY_CASES, ids=[t.split("?")[0][-24:] + "?" + t.split("&")[-1]
                                                                    for _, t in QUERY_CASES])
async def test_malformed_integers_in_query_are_400(server, http, method, template):
    tokens = {"rapporteur": await server.token("rapporteur"), "moderator": await server.token("moderator", "morning")}
    for value in BAD_TEXT:
        if value == "-1" and "last=" in template:
            continue  # StreamText's "from now on"
        status, body = await _status(http, method, server.url(template.format(v=value, **tokens)))
        assert status == 400, (value, status, body[:200])
    await _still_serving(server, http)


async def test_screen_page_refuses_lines_that_are_not_ascii_digits(server, http):
    for value in ["²", "11", "0", "1e1"]:
        status, body = await _status(http, "GET", server.url(f"{S}/screen?lines={value}"))
        assert status == 400 and 'data-lines="' + value not in body, (value, status)
    status, body = await _status(http, "GET", server.url(f"{S}/screen?lines=3"))
    assert status == 200 and 'data-lines="3"' in body


async def test_presenter_ids_must_be_ascii_digits_in_range(server, http):
    rapporteur = await server.token("rapporteur")
    for value in [*BAD_TEXT, ""]:
        status, body = await _status(http, "POST", server.url(f"{S}/presenters"),
                                     data={"t": rapporteur, "presenter": value})
        assert status == 400, (value, status, body[:200])
    await _still_serving(server, http)


async def test_admin_link_ids_out_of_range_and_unknown_done_are_refused(server, http):
    admin = await server.token("admin")
    for value in [str(10 ** 30), str(2 ** 63), "١٢"]:
        status, body = await _status(http, "POST", server.url(f"/m/{DEMO}/admin/links/{value}/revoke"),
                                     data={"t": admin})
        assert status in (400, 404), (value, status, body[:200])
    status, body = await _status(http, "GET", server.url(f"/m/{DEMO}/admin?t={admin}&done=x"))
    assert status == 200 and "Link revoked" not in body
    status, body = await _status(http, "GET", server.url(f"/m/{DEMO}/admin?t={admin}&done=revoke"))
    assert status == 200 and "Link revoked." in body
    await _still_serving(server, http)


async def test_registration_refuses_lone_surrogates_and_hubs_bad_headcounts(server, http):
    token = await server.token("participant")
    url = server.url(f"/api/meetings/{DEMO}/participants?t={token}")
    raw = '{"name": "Bad \\ud800 name", "country": "BR", "group": "academic", "mode": "remote"}'
    status, body = await _status(http, "POST", url, data=raw, headers={"Content-Type": "application/json"})
    assert status == 400, body[:200]
    status, _ = await _status(http, "POST", url, json=REMOTE)
    assert status == 201
    hubs = server.url(f"/api/meetings/{DEMO}/hubs?t={await server.token('admin')}")
    hub = {"name": "Hub Nairobi", "city": "Nairobi", "country": "KE", "group": "civil"}
    for value in ["²", "١٢", "1_000", " 1e3", str(10 ** 30), True, 1.5]:
        status, body = await _status(http, "POST", hubs, json={**hub, "expected_headcount": value})
        assert status == 400 and "invalid_headcount" in body, (value, status, body[:200])
    raw = '{"name": "Hub \\udc00", "city": "Nairobi", "country": "KE", "group": "civil", "expected_headcount": 9}'
    status, body = await _status(http, "POST", hubs, data=raw, headers={"Content-Type": "application/json"})
    assert status == 400, body[:200]
    status, body = await _status(http, "POST", hubs, json={**hub, "expected_headcount": 40})
    assert status == 201, body[:200]


async def _refusal(server, cookies: dict[str, str], **auth: Any) -> Any:
    """The reason the server gives for refusing a /live connection."""
    client = socketio.AsyncClient(reconnection=False)
    reasons: list[Any] = []
    client.on("connect_error", reasons.append, namespace="/live")
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(server.url("/"), namespaces=["/live"], auth=auth, headers={"Cookie": header},
                             transports=["websocket"], wait_timeout=WAIT)
    await client.disconnect()
    return reasons[0]["message"] if reasons and isinstance(reasons[0], dict) else reasons


# -- Socket.IO payloads --------------------------------------------------------------------------------------------


SOCKET_CASES = [
    ("/live", "captions_subscribe", "last_seq", {}),
    ("/live", "captions_since", "after_seq", {}),
    ("/moderate", "floor_move", "position", {"request_id": "r1"}),
    ("/moderate", "floor_audit", "after", {}),
    ("/moderate", "questions_audit", "after", {}),
    ("/moderate", "question_publish", "id", {}),
    ("/moderate", "question_answer", "id", {"how": "oral"}),
    ("/moderate", "question_link_intervention", "intervention_id", {"id": 1}),
    ("/moderate", "question_settings", "closes_at", {}),
    ("/caption", "caption_correct", "seq", {"text": "x"}),
    ("/caption", "caption_recent", "count", {}),
]


@pytest.mark.parametrize(("namespace", "event", "field", "extra"), SOCKET_CASES,
                         ids=[f"{e}.{f}" for _, e, f, _ in SOCKET_CASES])
async def test_malformed_integers_in_socket_payloads_get_a_coded_refusal(server, connect, live, namespace, event,
                                                                        field, extra):
    auth: dict[str, Any] = {"session": "morning"}
    if namespace == "/moderate":
        auth["t"] = await server.token("moderator", "morning")
    elif namespace == "/caption":
        auth["t"] = live
    client = await connect(namespace, **auth)
    for value in [*BAD_JSON, "²", "", str(10 ** 30)]:
        if field == "intervention_id" and isinstance(value, str) and value.strip():
            value = "i" + value  # a text id is allowed; it must still name an intervention
        reply = await client.call(event, {**extra, field: value}, namespace=namespace, timeout=WAIT)
        assert reply["ok"] is False, (value, reply)
        assert reply["error"]["code"] != "unknown_error", (value, reply)
    assert (await client.call("floor_state", {}, namespace=namespace, timeout=WAIT))["ok"] is True


async def test_a_huge_last_seq_on_connect_is_refused_with_a_reason_and_no_open_attendance(server, connect, live,
                                                                                         http):
    token = await server.token("participant")
    async with http.post(server.url(f"/api/meetings/{DEMO}/participants?t={token}"), json=REMOTE) as r:
        assert r.status == 201
        cookies = {f"fc_p_{DEMO}": r.cookies[f"fc_p_{DEMO}"].value}
    for value in [10 ** 30, -1, "7", 1.5]:
        assert await _refusal(server, cookies, session="morning", meeting=DEMO, last_seq=value) == "invalid_format"
    db = server.app[db_key]
    meeting_id, _ = await meetings_db.load_meeting(db, DEMO)
    assert [leave is not None for _, _, leave in await meetings_db.connections(db, meeting_id, "morning")] == [True] * 4
    client = await connect("/live", cookies=cookies, session="morning", last_seq=0)
    assert client.connected


async def test_lone_surrogates_in_socket_text_are_refused_with_a_code(server, connect, live, http):
    token = await server.token("participant")
    async with http.post(server.url(f"/api/meetings/{DEMO}/participants?t={token}"), json=REMOTE) as r:
        cookies = {f"fc_p_{DEMO}": r.cookies[f"fc_p_{DEMO}"].value}
    client = await connect("/live", cookies=cookies, session="morning")
    reply = await client.call("question_submit", {"text": "Why \ud800 this?"}, namespace="/live", timeout=WAIT)
    assert reply["ok"] is False and reply["error"]["code"] == "invalid_format", reply
    reply = await client.call("question_submit", {"text": "Why this?"}, namespace="/live", timeout=WAIT)
    assert reply["ok"] is True, reply
