"""The floor on the server: each session's list of speakers, its Socket.IO events and its HTTP routes."""
