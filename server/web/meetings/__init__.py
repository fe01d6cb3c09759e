"""A meeting's own pages and API: the agenda, registration, the admin page and the role links."""
