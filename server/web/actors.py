"""Who acted, as the audit logs name them. A label is stored as it was written when the action happened, in a
fixed form: ``moderator@morning (Alice)`` (a link's role and session, ``meeting`` for a meeting-wide link, and the
name its holder gave), ``participant:12``, ``anonymous``, or a registered participant's own name. Pages say it in
their reader's language from its parts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import jinja2
from aiohttp import web

from .i18n import DEFAULT_LOCALE, N_, Catalogues, catalogues_key, translate

#: The roles a link label names.
ROLE_NAMES = {"admin": N_("Admin"), "moderator": N_("Moderator"), "captioner": N_("Captioner"),
              "rapporteur": N_("Rapporteur"), "hub": N_("Remote hub")}
_LINK = re.compile(r"^(?P<role>[a-z]+)@(?P<scope>\S+?)(?: \((?P<name>.*)\))?$")
_PARTICIPANT = re.compile(r"^participant:(?P<id>\d+)$")


def parts(label: str) -> dict[str, Any] | None:
    """A stored label's parts: ``role``, ``scope`` (``None``: the whole meeting) and ``name`` for a link holder,
    ``participant`` (the number) for an unnamed participant, ``anonymous``; ``None`` for a person's own name."""
    link = _LINK.match(label)
    if link is not None and link["role"] in ROLE_NAMES:
        scope = None if link["scope"] == "meeting" else link["scope"]
        return {"role": link["role"], "scope": scope, "name": link["name"] or ""}
    participant = _PARTICIPANT.match(label)
    if participant is not None:
        return {"participant": participant["id"]}
    if label == "anonymous":
        return {"anonymous": True}
    return None


def say(label: str, catalogues: Catalogues, locale: str) -> str:
    """A stored label in ``locale``: "Alice, Moderator link (morning)", "Participant 12"; a name as it is."""
    found = parts(label)
    if found is None:
        return label
    if "participant" in found:
        return translate(catalogues, locale, N_("Participant {id}"), {"id": found["participant"]})
    if "anonymous" in found:
        return translate(catalogues, locale, N_("Someone without a link"))
    scope = found["scope"] or translate(catalogues, locale, N_("Whole meeting"))
    link = translate(catalogues, locale, N_("{role} link ({scope})"),
                     {"role": translate(catalogues, locale, ROLE_NAMES[found["role"]]), "scope": scope})
    if not found["name"]:
        return link
    return translate(catalogues, locale, N_("{name}, {link}"), {"name": found["name"], "link": link})


def with_parts(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Audit entries whose ``actor`` also carries its label's ``parts`` (pages say the label from them); a
    participant's label is their own name, never read as parts."""
    out = []
    for entry in entries:
        actor = entry.get("actor")
        if isinstance(actor, dict):
            found = None if actor.get("role") == "participant" else parts(str(actor.get("label", "")))
            entry = {**entry, "actor": {**actor, "parts": found}}
        out.append(entry)
    return out


@jinja2.pass_context
def actor_filter(ctx: jinja2.runtime.Context, label: str) -> str:
    """``{{ a.actor | actor }}``: a stored label in the page's language."""
    request = ctx.get("request")
    if not isinstance(request, web.Request):
        return label
    return say(label, request.app[catalogues_key], ctx.get("ui_locale", DEFAULT_LOCALE))
