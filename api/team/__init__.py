"""Community digital-technology teams: members, share links, leaflets, counts (issue 13).

    repo      units, invites, members, chat accounts, attributions, completions, in-person help
    chat      the team commands inside a chat turn, and counting after it
    leaflet   QR codes (segno) and the printable leaflet (fpdf2, Be Vietnam Pro embedded)
    stats     totals and per-day rows (member, team, commune), who sees what, CSV/xlsx, the pygal chart
    manage    audited member changes (add, move, rename, remove, link chat accounts) for REST and pages
    routes    the admin REST API, the public leaflet and QR files
    pages     console pages: units and invites, share page, stats; member_pages: the members page
"""
