"""A finalised caption segment as the export format records it."""

from __future__ import annotations

import dataclasses

from .reading import Fields


@dataclasses.dataclass(frozen=True, slots=True)
class Segment:
    """One finalised caption segment (``seq`` is gap-free per language)."""

    seq: int
    lang: str
    text: str
    first_ms: int
    final_ms: int
    speaker: str | None
    intervention_id: int | None
    captioner: str | None
    revision: int

    @classmethod
    def from_fields(cls, f: Fields) -> Segment:
        """Read and check one exported segment."""
        first, final = f.int("first_ms"), f.int("final_ms")
        if final < first:
            raise f.fail(f"final_ms ({final}) is before first_ms ({first})", "final_ms")
        return cls(seq=f.int("seq", minimum=0), lang=f.str("lang"), text=f.str("text"), first_ms=first,
                   final_ms=final, speaker=f.str("speaker", None), intervention_id=f.int("intervention_id", None),
                   captioner=f.str("captioner", None), revision=f.int("revision", 0, minimum=0))
