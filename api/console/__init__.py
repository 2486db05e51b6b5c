"""The admin console: pages under ``/admin/`` and its REST API under ``/api/v1/admin/``.

    security     accounts, password hashes, sessions and bearer tokens, roles, CSRF, throttling, audit
    web          templates, security headers for the pages, the static files
    auth_routes  sign-in and sign-out pages, ``POST /api/v1/admin/token``
    accounts     managing accounts and reading the audit log (shared by the API, the pages and the CLI)
    account_routes, audit_routes   ``/admin/accounts``, ``/admin/audit`` and their REST API (admins only)
    forms        reading a page's form post as texts checked by an input model
    tryit        «Thử hỏi»: the chat's answer for a fresh user, nothing stored, and the ranked candidates
    inbox        the unanswered questions grouped, and the actions on a group (``inbox_routes``: HTTP)
    transfer     content import and export in YAML, CSV and Excel (``transfer_routes``: HTTP)
"""
