"""Floorcast: live captions, moderated questions and floor queues for multistakeholder meetings."""

__version__ = "0.1.0"
