"""Hand-off to a person inside the citizen's own chat: tables, the turn hook, staff routes and page."""
