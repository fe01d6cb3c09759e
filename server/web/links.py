"""Absolute URLs of capability links, for the admin page and ``run.py links``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..domain.meetings.models import Meeting, Role
from ..storage.meetings import Link
from .i18n import N_

#: In English (``run.py links`` and the API say them so); the admin page shows them translated.
_LABELS = {Role.ADMIN: N_("Admin"), Role.PARTICIPANT: N_("Participant join link"), Role.MODERATOR: N_("Moderator"),
           Role.CAPTIONER: N_("Captioner"), Role.RAPPORTEUR: N_("Rapporteur"), Role.HUB: N_("Remote hub")}
_PAGES = {Role.MODERATOR: "moderate", Role.CAPTIONER: "caption", Role.RAPPORTEUR: "rapporteur"}


def link_url(base: str, slug: str, link: Link) -> str:
    """The page a link opens: the admin page, the join form, or the role's page for its session."""
    if link.role is Role.ADMIN:
        return f"{base}/m/{slug}/admin?t={link.token}"
    if link.role is Role.PARTICIPANT:
        return f"{base}/m/{slug}/join?t={link.token}"
    if link.role is Role.HUB:
        return f"{base}/m/{slug}/hub?t={link.token}"
    if link.session_id is None:
        return f"{base}/m/{slug}?t={link.token}"
    return f"{base}/m/{slug}/s/{link.session_id}/{_PAGES[link.role]}?t={link.token}"


def ingest_urls(base: str, slug: str, session_id: str, token: str) -> dict[str, str]:
    """Where captioning software posts text, one URL per supported tool convention."""
    root = f"{base}/m/{slug}/s/{session_id}/ingest"
    return {"zoom": f"{root}/zoom?t={token}", "youtube": f"{root}/youtube?t={token}",
            "streamtext": f"{root}/streamtext?t={token}", "bridge": f"{root}/ws?t={token}".replace("http", "ws", 1)}


def link_rows(base: str, meeting: Meeting, links: list[Link],
              hub_names: Mapping[int, str] | None = None) -> list[dict[str, Any]]:
    """One row per active link: id, role, scope (a hub's link: the hub's name), label and absolute URL (plus
    ingest URLs for captioners, and ``hub_id`` for a hub's link)."""
    titles = {s.id: s.title for s in meeting.sessions}
    names = hub_names or {}
    rows = []
    for link in links:
        scope = titles.get(link.session_id or "", N_("Whole meeting"))
        if link.hub_id is not None:
            scope = names.get(link.hub_id, scope)
        row: dict[str, Any] = {
            "id": link.id, "role": link.role.value, "session_id": link.session_id, "scope": scope,
            "label": _LABELS[link.role], "url": link_url(base, meeting.slug, link), "created_ms": link.created_ms,
        }
        if link.hub_id is not None:
            row["hub_id"] = link.hub_id
        if link.role is Role.CAPTIONER and link.session_id is not None:
            row["ingest"] = ingest_urls(base, meeting.slug, link.session_id, link.token)
        rows.append(row)
    return rows
