"""Moderated questions on the server: each session's board, its Socket.IO events and its HTTP routes."""
