"""Every ``web.AppKey`` of the application."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jinja2
import socketio
from aiohttp import web

from ..settings import Settings
from ..storage.db import Database

if TYPE_CHECKING:
    from .live import Registry

settings_key = web.AppKey("settings", Settings)
db_key = web.AppKey("db", Database)
sio_key = web.AppKey("sio", socketio.AsyncServer)
jinja_key = web.AppKey("jinja", jinja2.Environment)
link_key_key = web.AppKey("link_key", bytes)
registry_key: web.AppKey["Registry"] = web.AppKey("registry")
#: Optional hook the floor queue installs: async (app, live, session_id, question, how, reader, actor) -> id | None,
#: called when a moderator hands a question to the floor (after the hand-off is stored, outside ``live.lock``).
floor_handoff_key = web.AppKey("floor_handoff", object)
