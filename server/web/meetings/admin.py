"""What the admin page shows: sessions, hubs with their links and counts, and every link."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ...domain.errors import DomainError
from ...domain.meetings.hubs import people_at
from ...domain.meetings.models import Hub
from ...storage import audit as audit_db
from ...storage import meetings as meetings_db
from ..i18n import N_, country_choices
from ..keys import db_key, link_key_key, settings_key
from ..links import link_rows
from ..registry import LoadedMeeting


def hub_json(hub: Hub, registered: int) -> dict[str, Any]:
    """A hub on the wire, with the people registered through it and the people it counts for."""
    return {"id": hub.id, "name": hub.name, "city": hub.city, "country": hub.country,
            "host_organisation": hub.host_organisation, "group": hub.group,
            "expected_headcount": hub.expected_headcount, "registered": registered,
            "people": people_at(hub, registered)}


async def hub_rows(request: web.Request, loaded: LoadedMeeting) -> list[dict[str, Any]]:
    """Every hub of the meeting with its counts and its link (for the admin)."""
    db = request.app[db_key]
    counts = await meetings_db.hub_registrations(db, loaded.id)
    found = await meetings_db.hubs(db, loaded.id)
    links = await meetings_db.active_links(db, request.app[link_key_key], loaded.id)
    rows = {r["hub_id"]: r for r in link_rows(request.app[settings_key].public_base_url(), loaded.meeting, links,
                                              {h.id: h.name for h in found}) if "hub_id" in r}
    return [{**hub_json(h, counts.get(h.id, 0)), "link": rows.get(h.id, {}).get("url")} for h in found]


#: What the admin page confirms after an action (``?done=``); any other value shows nothing.
DONE = {"revoke": N_("Link revoked."), "rotate": N_("Link rotated: the old link no longer works."),
        "issue": N_("Missing links issued."), "captioner": N_("Another captioner link was issued: it is listed below."),
        "hub": N_("The hub was registered: send it the link below.")}


async def admin_context(request: web.Request, loaded: LoadedMeeting, token: str, hub_form: dict[str, str] | None = None,
                        hub_error: DomainError | None = None) -> dict[str, Any]:
    """The admin page's template context (``hub_form``/``hub_error``: a refused hub form shown again)."""
    db = request.app[db_key]
    links = await meetings_db.active_links(db, request.app[link_key_key], loaded.id)
    found = await meetings_db.hubs(db, loaded.id)
    base = request.app[settings_key].public_base_url()
    return {"meeting": loaded.meeting, "token": token, "states": loaded.states(),
            "links": link_rows(base, loaded.meeting, links, {h.id: h.name for h in found}),
            "hubs": await hub_rows(request, loaded), "countries": country_choices(request),
            "hub_form": hub_form or {},
            "hub_error": hub_error, "done": DONE.get(request.query.get("done", "")),
            "audit": await audit_db.recent(db, loaded.id)}
