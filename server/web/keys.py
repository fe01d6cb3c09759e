"""The application's shared objects, each under a typed ``web.AppKey`` (features keep their own keys beside them)."""

from __future__ import annotations

import jinja2
import socketio
from aiohttp import web

from ..settings import Settings
from ..storage.interface import Database
from .ratelimit import Limits
from .registry import MeetingRegistry

settings_key = web.AppKey("settings", Settings)
db_key = web.AppKey("db", Database)
sio_key = web.AppKey("sio", socketio.AsyncServer)
jinja_key = web.AppKey("jinja", jinja2.Environment)
link_key_key = web.AppKey("link_key", bytes)
registry_key = web.AppKey("registry", MeetingRegistry)
limits_key = web.AppKey("limits", Limits)
