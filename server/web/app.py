"""The application factory: builds the web app, Socket.IO server, database and registry for one process."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import AsyncIterator

import jinja2
import socketio
from aiohttp import web

from ..loading import demo_meeting_text, load_meeting_text
from ..settings import Settings
from ..storage import meetings as meetings_db
from ..storage.db import open_database
from ..storage.keyfile import load_or_create_key
from . import middlewares, realtime, routes
from .captions import captions_context
from .clock import clock_context
from .fanout import make_client_manager
from .keys import db_key, jinja_key, link_key_key, registry_key, settings_key, sio_key
from .live import Registry, now_ms

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parents[2] / "client" / "web"


def _jinja() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("server.web", "templates"),
        autoescape=True,  # every template: untrusted text is always rendered as text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = lambda path: f"/static/{path}"
    return env


def create_app(settings: Settings) -> web.Application:
    """A ready-to-run application for these settings (nothing is opened until it starts)."""
    app = web.Application(middlewares=[middlewares.errors, middlewares.security_headers], client_max_size=1024 ** 2)
    app[settings_key] = settings
    app[jinja_key] = _jinja()
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=make_client_manager(settings),
        cors_allowed_origins=[],  # same origin only
        ping_interval=20,
        ping_timeout=20,
        max_http_buffer_size=256 * 1024,
        logger=False,
        engineio_logger=False,
    )
    sio.attach(app)
    app[sio_key] = sio
    realtime.register(app, sio)
    routes.setup(app, STATIC_DIR)
    app.cleanup_ctx.append(database_context)
    app.cleanup_ctx.append(captions_context)  # after the database: stops before it closes
    app.cleanup_ctx.append(clock_context)
    app.on_shutdown.append(close_sockets)
    return app


async def database_context(app: web.Application) -> AsyncIterator[None]:
    """Open the database and the key, load the demo meeting when there is none, close on the way out."""
    settings = app[settings_key]
    db = await open_database(settings.database)
    app[db_key] = db
    app[link_key_key] = load_or_create_key(settings.data_dir)
    app[registry_key] = Registry(db)
    closed = await meetings_db.close_open_attendance(db, now_ms())
    if closed:
        log.info("closed attendance left open by the previous run", extra={"count": closed})
    if settings.demo and not await meetings_db.list_meetings(db):
        slug, _, _ = await load_meeting_text(db, app[link_key_key], demo_meeting_text(), now_ms())
        log.info("demo meeting loaded", extra={"meeting": slug})
    yield
    await meetings_db.close_open_attendance(db, now_ms())
    await db.close()


async def close_sockets(app: web.Application) -> None:
    """Tell every connected client that the server is going away, so browsers reconnect elsewhere or later."""
    sio = app[sio_key]
    for namespace in list(sio.manager.rooms):
        for sid, _ in list(sio.manager.get_participants(namespace, None)):
            await sio.disconnect(sid, namespace=namespace)
