"""The console's dashboard: how the bot is doing, as charts (pygal, server-side SVG) and exportable tables.

- :mod:`api.dashboard.sections` — filters, tables, chart specs and the section registry;
- :mod:`api.dashboard.queries` — the built-in sections (SQL GROUP BY on SQLite and PostgreSQL);
- :mod:`api.dashboard.charts` — pygal rendering without script or external reference;
- :mod:`api.dashboard.export` — CSV and xlsx, formula-injection safe;
- :mod:`api.dashboard.routes` — ``GET /api/v1/admin/dashboard…`` and the ``/admin/dashboard`` page;
- :mod:`api.dashboard.bench` — ``python -m bot bench-dashboard``.
"""
