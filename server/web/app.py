"""The application factory: builds the web app, the Socket.IO server, the stores and the features, and wires
the features to each other through their small interfaces."""

from __future__ import annotations

import logging
import weakref
from collections.abc import AsyncIterator

import jinja2
from aiohttp import web

from ..clock import now_ms
from ..loading import demo_meeting_text, load_meeting_text
from ..settings import Settings
from ..storage import meetings as meetings_db
from ..storage.db import open_database
from ..storage.interface import StorageConflict
from ..storage.keyfile import load_or_create_key
from . import (
    actors,
    assets,
    compression,
    errors,
    health,
    i18n,
    logs,
    metrics,
    proxies,
    security,
    sessions,
    sockets,
    transport,
    zones,
)
from .captions import bridge, ingest, outputs
from .captions import socket as captions_socket
from .captions.hub import CaptionHub, caption_hub_key, captions_context
from .engineio_adapter import SocketServer
from .fanout import make_client_manager
from .floor import http as floor_http
from .floor import socket as floor_socket
from .floor.service import Floor, floor_key
from .keys import db_key, jinja_key, limits_key, link_key_key, registry_key, settings_key, sio_key
from .meetings import api as meetings_api
from .meetings import hubs as meetings_hubs
from .meetings import pages as meetings_pages
from .meetings import screen as meetings_screen
from .metrics import Metrics, metrics_key
from .notices import FLOOR, LINK, QUESTIONS, SESSION, NoticeBus, notices_context, notices_key
from .questions import http as questions_http
from .questions import socket as questions_socket
from .questions.service import Questions, questions_key
from .rapporteur import editor
from .rapporteur import http as rapporteur_http
from .ratelimit import Limits
from .registry import MeetingRegistry
from .revocation import Revocations, revocation_context
from .sessions import SessionWatch, schedule_context, session_watch_key, tail_flusher_key

log = logging.getLogger(__name__)

ROUTES = (assets.routes, i18n.routes, meetings_pages.routes, meetings_api.routes, meetings_hubs.routes, sessions.routes,
          ingest.routes, bridge.routes, outputs.routes, questions_http.routes, floor_http.routes,
          rapporteur_http.routes, editor.routes, health.routes, metrics.routes)
#: Session life first: a participant's attendance is recorded before the captions backlog is sent.
COMMANDS = (sessions.commands, meetings_screen.commands, captions_socket.commands, questions_socket.commands,
            floor_socket.commands)


def _jinja(static: assets.Assets) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("server.web", "templates"),
        autoescape=True,  # every template: untrusted text is always rendered as text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = static.url
    i18n.install(env)
    env.filters["actor"] = actors.actor_filter
    return env


def create_app(settings: Settings) -> web.Application:
    """A ready-to-run application for these settings (nothing is opened until it starts)."""
    # The security headers outermost, so that they reach the error mapper's answers too; compression outside the
    # locale and the error mapper, so that it sees their answers and their Vary; the locale before the error mapper,
    # which answers in the reader's language; the reader's time zone inside the error mapper, which refuses an unknown
    # one. The client's address first: every middleware and handler after it sees the address behind the balancer.
    # An Engine.IO WebSocket then goes past all the others (transport.websocket_lane): its handler lives as long as
    # it does.
    app = web.Application(middlewares=[proxies.forwarded_for(settings), transport.websocket_lane,
                                       security.security_headers, compression.compress_pages, i18n.locale_middleware,
                                       errors.errors, zones.zone_middleware, security.long_urls,
                                       security.same_origin_writes],
                          client_max_size=1024 ** 2, handler_args={"max_line_size": security.MAX_LINE})
    app.middlewares.append(transport.engineio_guard)
    app[settings_key] = settings
    app[limits_key] = Limits(settings)
    app[assets.assets_key] = static = assets.Assets()
    app[jinja_key] = _jinja(static)
    app[i18n.catalogues_key] = i18n.Catalogues()
    sio = SocketServer(
        async_mode="aiohttp",
        client_manager=make_client_manager(settings),
        cors_allowed_origins=security.socketio_origin_check(settings),  # our origins only, on every transport
        ping_interval=20,
        ping_timeout=20,
        max_http_buffer_size=transport.MAX_PACKET_BYTES,
        logger=logs.library_logger("socketio.server"),
        engineio_logger=logs.library_logger("engineio.server"),
    )
    sio.attach(app)
    app[sio_key] = sio
    app[metrics_key] = Metrics(app)
    # The features, wired through their interfaces: captions ask the floor who speaks, questions hand over to
    # the floor, the floor tells the questions when an intervention that took one up has ended, and session life
    # has the caption hub finalise the live lines of a session that ends.
    # The processes of one deployment tell each other of every change they store (with Redis); each feature that
    # keeps copies of stored logs catches them up when told, and the session loop has the floor of every live
    # session held here so that captions are attributed on every process.
    notices = app[notices_key] = NoticeBus(settings.redis_url, settings.redis_channel)
    floor = app[floor_key] = Floor(app, notices)
    floor.questions = app[questions_key] = Questions(app, floor, notices)
    watch = app[session_watch_key] = SessionWatch(app, follower=floor, keepers=(floor, floor.questions))
    notices.listen(FLOOR, floor)
    notices.listen(QUESTIONS, floor.questions)
    notices.listen(SESSION, watch)
    notices.listen(LINK, Revocations(app))
    hub = app[caption_hub_key] = CaptionHub(app, speakers=floor)
    app[tail_flusher_key] = hub
    sockets.attach(app, sio, COMMANDS)
    for table in ROUTES:
        app.router.add_routes(table)
    app.cleanup_ctx.append(database_context)
    app.cleanup_ctx.append(captions_context)  # after the database: stops before it closes
    app.cleanup_ctx.append(notices_context)  # after the database: copies catch up from it
    app.cleanup_ctx.append(schedule_context)
    app.cleanup_ctx.append(revocation_context)
    app.cleanup_ctx.append(health.health_context)
    app[bridge.bridges_key] = weakref.WeakKeyDictionary()
    app.on_shutdown.append(sessions.close_sockets)
    app.on_shutdown.append(bridge.close_bridges)
    return app


async def database_context(app: web.Application) -> AsyncIterator[None]:
    """Open the database and the key, load the demo meeting when there is none, close on the way out."""
    settings = app[settings_key]
    app[link_key_key] = load_or_create_key(settings.data_dir)  # raises KeyProblem: checked before anything opens
    db = await open_database(settings.database_target())  # raises DatabaseProblem: damaged, unreachable, read-only
    try:
        app[db_key] = db
        app[registry_key] = MeetingRegistry(db)
        closed = await meetings_db.close_open_attendance(db, now_ms())
        if closed:
            log.info("closed attendance left open by the previous run", extra={"count": closed})
        if settings.demo and not await meetings_db.list_meetings(db):
            try:
                slug, _, _ = await load_meeting_text(db, app[link_key_key], demo_meeting_text(), now_ms())
            except StorageConflict:
                # Another node sharing the store loaded it at the same moment (the slug is unique).
                log.info("demo meeting loaded by another node")
            else:
                log.info("demo meeting loaded", extra={"meeting": slug})
    except BaseException:
        await db.close()  # its thread would keep the process alive after a failed start
        raise
    yield
    await meetings_db.close_open_attendance(db, now_ms())
    await db.close()

