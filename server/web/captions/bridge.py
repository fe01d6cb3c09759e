"""The captioner bridge's WebSocket: ``GET /m/{slug}/s/{session_id}/ingest/ws?t=TOKEN`` (see ``client/captioner.py``).

JSON text frames. The server opens with ``{"type": "hello", "last_seq": N, "languages": [...]}``, N being the
last sequence number this link's bridge feed had accepted (0 before any). The bridge sends
``{"type": "text", "seq": N, "text": "...", "lang": "en"}`` with realtime text as CAT software writes it
(backspaces, line breaks), and each message is answered ``{"type": "ack", "seq": N, "applied": bool, "server_time"}``
once it is committed (``applied`` is false for a retry of a recent seq with the same text, which is not applied
again and is answered with the original's ``server_time``), or
``{"type": "error", "seq": N, "code": "...", "message": "..."}`` when refused (nothing of it was applied).
The bridge numbers all its messages with one counter, whatever their language, so its feed is the link's alone.
Text continues the link's bridge line in each language (its own tail, whoever else writes); ``window=1`` in the
URL declares CAT output that re-sends the end of its window.
"""

from __future__ import annotations

import json
import logging
import weakref
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from ...clock import now_ms
from ...domain.captions.ingest import check_seq, post_digest, server_time
from ...domain.captions.stream import CaptionStream, SpeakerContext
from ...domain.errors import DomainError, InvalidInput
from ...domain.events import Event
from ...storage import captions as captions_db
from ..errors import text_refusal
from ..i18n import catalogues_key, choose_locale, refusal
from ..keys import db_key
from .hub import caption_hub_key, captioner_for
from .ingest import caption_language, feed_name, feed_owner, flag

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
#: The open bridge connections with their link's id, so that shutdown (and revoking the link) can close them.
bridges_key: web.AppKey[weakref.WeakKeyDictionary[web.WebSocketResponse, int]] = web.AppKey("caption_bridges")
#: The close code and reason a bridge gets when its link is revoked (it must not reconnect with it).
REVOKED_CLOSE = (WSCloseCode.POLICY_VIOLATION, b"link revoked")
MAX_TEXT = 64 * 1024


def _message(raw: str) -> tuple[int, str, str | None]:
    try:
        data: Any = json.loads(raw)
    except ValueError:
        raise InvalidInput("each message must be a JSON object") from None
    if not isinstance(data, dict) or data.get("type") != "text":
        raise InvalidInput("expected {\"type\": \"text\", \"seq\", \"text\"}")
    seq, text, lang = data.get("seq"), data.get("text"), data.get("lang")
    seq = check_seq(seq)
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise InvalidInput("text must be a string of at most 64 KiB", field="text")
    if lang is not None and not isinstance(lang, str):
        raise InvalidInput("lang must be a language code", field="lang")
    return seq, text, lang


@routes.get("/m/{slug}/s/{session_id}/ingest/ws")
async def bridge(request: web.Request) -> web.StreamResponse:
    """Accept a bridge connection and apply its messages in order, acknowledging each after it is stored."""
    try:
        loaded, session_id, link = await feed_owner(request)
    except DomainError as exc:
        return text_refusal(request, exc)
    ws = web.WebSocketResponse(heartbeat=20, max_msg_size=MAX_TEXT * 2)
    await ws.prepare(request)
    request.app[bridges_key][ws] = link.id
    feed = feed_name(link.id, "bridge")
    window = flag(request.query.get("window"))
    captioner = captioner_for(link.id, link.session_id, request.query.get("name"))
    last = await captions_db.feed_seq(request.app[db_key], loaded.id, session_id, feed)
    await ws.send_json({"type": "hello", "last_seq": last or 0, "languages": list(loaded.meeting.languages),
                        "server_time": server_time(now_ms())})
    # Refusals in the bridge's Accept-Language, as over HTTP (English when it sends none).
    locale = choose_locale(None, request.headers.get("Accept-Language"))
    log.info("caption bridge connected", extra={"session": session_id, "feed": feed})
    async for msg in ws:
        if msg.type != WSMsgType.TEXT:
            continue
        seq = None
        try:
            seq, text, raw_lang = _message(msg.data)
            lang = caption_language(loaded, raw_lang)

            def operation(stream: CaptionStream, ctx: SpeakerContext | None, now: int) -> list[Event]:
                return stream.append(text, captioner, now, speaker_context=ctx,  # noqa: B023 (called at once)
                                     writer=feed, window=window)

            outcome = await request.app[caption_hub_key].change(loaded, session_id, lang, operation, feed=feed, seq=seq,
                                                                 writer=feed, digest=post_digest(text))
            # A retry is answered with the time its original was accepted, as over HTTP.
            at = outcome.at_ms if outcome.at_ms is not None else now_ms()
            await ws.send_json({"type": "ack", "seq": seq, "applied": outcome.applied, "server_time": server_time(at)})
        except DomainError as exc:
            await ws.send_json({"type": "error", "seq": seq, **exc.as_dict(),
                                "message": refusal(request.app[catalogues_key], locale, exc)})
    log.info("caption bridge disconnected", extra={"session": session_id, "feed": feed})
    return ws


async def close_bridges(app: web.Application) -> None:
    """Tell every connected bridge the server is going away; it reconnects (elsewhere, or when it is back)."""
    bridges = app[bridges_key]
    for ws in list(bridges):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")


async def close_link_bridges(app: web.Application, link_ids: set[int]) -> int:
    """Close the bridges of revoked links; returns how many were open."""
    closing = [ws for ws, link_id in list(app[bridges_key].items()) if link_id in link_ids]
    for ws in closing:
        await ws.close(code=REVOKED_CLOSE[0], message=REVOKED_CLOSE[1])
    return len(closing)
