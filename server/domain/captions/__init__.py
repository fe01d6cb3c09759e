"""Live captions: caption streams, their events, and what captioning tools post."""
