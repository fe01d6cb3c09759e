"""Meetings: agenda, roles, participants, session life, and meeting files."""
