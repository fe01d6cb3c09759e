"""Past-tense domain events. The core returns them; the transport stores and broadcasts them.

Each feature module defines its own event dataclasses deriving from :class:`Event`; ``name`` is the
wire name, ``payload()`` the JSON-ready body.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar


@dataclasses.dataclass(frozen=True)
class Event:
    """Base for every domain event: a fact that already happened."""

    name: ClassVar[str] = "event"

    def payload(self) -> dict[str, Any]:
        """The event as a JSON-ready dict (dataclass fields, recursively)."""
        return dataclasses.asdict(self)
