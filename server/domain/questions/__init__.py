"""Moderated questions: the board, its events and views."""
