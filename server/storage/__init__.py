"""SQLite adapters: the only package that contains SQL."""
