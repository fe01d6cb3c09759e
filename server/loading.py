"""Load a meeting file into the database: shared by ``run.py load`` and the demo meeting at start."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .domain.meetings.file import parse_meeting
from .storage import meetings as meetings_db
from .storage.interface import Database


def demo_meeting_text() -> str:
    """The bundled demo meeting file (the IGF 2012 pre-event on enhanced cooperation)."""
    return (resources.files("server") / "demo_meeting.toml").read_text(encoding="utf-8")


async def load_meeting_text(db: Database, key: bytes, text: str, now: int) -> tuple[str, bool, int]:
    """Validate and store a meeting description; returns (slug, changed, links issued).

    An invalid file raises ``MeetingFileError`` before anything is written.
    """
    meeting = parse_meeting(text)
    meeting_id, changed = await meetings_db.save_meeting(db, meeting, now)
    issued = await meetings_db.ensure_hubs(db, key, meeting_id, meeting.hubs, now)  # each with its link
    issued += await meetings_db.ensure_links(db, key, meeting_id, meeting, now)
    return meeting.slug, changed, issued


async def load_meeting_file(db: Database, key: bytes, path: Path, now: int) -> tuple[str, bool, int]:
    """Read and load a meeting file from disk."""
    return await load_meeting_text(db, key, Path(path).read_text(encoding="utf-8"), now)
