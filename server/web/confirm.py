"""The step before a form action that cannot be undone or would surprise: a page that says what will happen and
posts the same form again with ``confirm=yes``. It is plain HTML, so it works without JavaScript."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from .pages import render

#: The value the confirmation page's form adds.
CONFIRMED = "yes"


def confirmed(form: MultiDictProxy[Any]) -> bool:
    """Whether a form post comes from the confirmation page."""
    return form.get("confirm") == CONFIRMED


def confirmation(request: web.Request, form: MultiDictProxy[Any], action: str, cancel: str,
                 **details: Any) -> web.Response:
    """The confirmation page of ``action`` (``revoke``, ``rotate``, ``end``, ``reopen``): the form's own fields
    again, ``cancel`` to go back without acting."""
    fields = [(name, value) for name, value in form.items() if name != "confirm" and isinstance(value, str)]
    return render(request, "confirm.html", action=action, fields=fields, post_url=request.path, cancel_url=cancel,
                  confirm_value=CONFIRMED, **details)
