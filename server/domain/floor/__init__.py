"""The floor: the list of speakers, its events, ordering policies and reports."""
