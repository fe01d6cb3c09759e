"""Past-tense domain events. The core returns them; the transport stores and broadcasts them.

Each feature defines its own event dataclasses deriving from :class:`Event`; ``name`` is the wire name,
``payload()`` the JSON-ready body. :func:`encode` and :class:`Codec` are the one way events become stored or
sent dicts and come back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from .errors import InvalidInput


@dataclasses.dataclass(frozen=True)
class Event:
    """Base for every domain event: a fact that already happened."""

    name: ClassVar[str] = "event"

    def payload(self) -> dict[str, Any]:
        """The event as a JSON-ready dict (dataclass fields, recursively)."""
        return dataclasses.asdict(self)


E = TypeVar("E", bound=Event)


def encode(event: Event) -> dict[str, Any]:
    """The event as a JSON-ready dict: ``{"name": ..., **payload}``."""
    return {"name": event.name, **event.payload()}


class Codec(Generic[E]):
    """Decodes the dicts :func:`encode` made back into one feature's events, strictly."""

    def __init__(self, kinds: Iterable[type[E]], feature: str) -> None:
        self.kinds: dict[str, type[E]] = {k.name: k for k in kinds}
        self.feature = feature

    def decode(self, data: Mapping[str, Any]) -> E:
        """The event ``data`` describes; raises ``InvalidInput`` for an unknown name or wrong fields."""
        cls = self.kinds.get(str(data.get("name")))
        if cls is None:
            raise InvalidInput("Unknown {feature} event \"{name}\".", field="name",
                               params={"feature": self.feature, "name": str(data.get("name"))})
        body = {k: v for k, v in data.items() if k != "name"}
        unknown = set(body) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise InvalidInput("Unexpected fields for {name}: {fields}.", field="name",
                               params={"name": cls.name, "fields": sorted(unknown)})
        try:
            return cls(**body)
        except TypeError as exc:  # a required field is missing
            raise InvalidInput("Malformed {name}: {problem}", field="name",
                               params={"name": cls.name, "problem": str(exc)}) from exc
