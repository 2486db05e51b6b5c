"""The admin console: pages under ``/admin/`` and its REST API under ``/api/v1/admin/``.

    security     accounts, password hashes, sessions and bearer tokens, roles, CSRF, throttling, audit
    web          templates, security headers for the pages, the static files
    auth_routes  sign-in and sign-out pages, ``POST /api/v1/admin/token``
"""
