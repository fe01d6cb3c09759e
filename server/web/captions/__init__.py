"""Live captions on the server: the hub every change goes through, ingest from captioning tools and the bridge,
the Socket.IO events, and the outputs (pages, feeds, downloads)."""
