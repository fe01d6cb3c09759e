"""Every URL of the service."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from . import (api, captions, captions_bridge, captions_ingest, captions_view, floor, questions, rapporteur,
               rapporteur_api, views)


def setup(app: web.Application, static_dir: Path) -> None:
    """Add the pages, the HTTP API and the static assets."""
    r = app.router
    r.add_get("/", views.index, name="index")
    r.add_get("/healthz", api.healthz)
    r.add_get("/m/{slug}", views.meeting_home, name="meeting")
    r.add_get("/m/{slug}/join", views.join_form, name="join")
    r.add_post("/m/{slug}/join", views.join_submit)
    r.add_get("/m/{slug}/admin", views.admin_page, name="admin")
    r.add_post("/m/{slug}/admin/links/{link_id:\\d+}/{action:revoke|rotate}", views.admin_link_action)
    r.add_post("/m/{slug}/admin/links/issue", views.admin_issue_links)
    r.add_post("/m/{slug}/admin/sessions/{sid}/{action:start|end}", views.admin_session_action)
    r.add_get("/m/{slug}/s/{sid}", views.participant_page, name="session")
    r.add_get("/m/{slug}/s/{sid}/moderate", views.moderator_page, name="moderate")
    r.add_get("/m/{slug}/s/{sid}/caption", views.captioner_page, name="caption")
    r.add_get("/m/{slug}/s/{sid}/screen", views.screen_page, name="screen")
    api.setup(app)
    captions.setup(app)
    captions_ingest.setup(app)
    captions_bridge.setup(app)
    captions_view.setup(app)
    questions.setup(app)
    rapporteur.setup(app)
    rapporteur_api.setup(app)
    floor.setup(app)
    r.add_static("/static/", static_dir, name="static", append_version=False)
