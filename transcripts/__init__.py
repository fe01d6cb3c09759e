"""Transcript library: turns an exported Floorcast session or meeting record into documents and figures.

It is pure Python (Jinja2 and python-docx only) and imports nothing from the server, so a rapporteur can run it
offline on an exported JSON file: ``python -m transcripts export.json --to summary-docx -o draft.docx``.
"""

from .errors import TranscriptFormatError
from .model import MeetingRecord, Transcript, load

__all__ = ["MeetingRecord", "Transcript", "TranscriptFormatError", "load"]
