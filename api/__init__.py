"""The FastAPI application: settings, database, routes and wiring."""
