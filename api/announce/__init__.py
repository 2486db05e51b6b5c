"""Announcements by commune: opt-in in the chat, writing and sending in the console, delivery, stats.

Rooms: :mod:`~api.announce.repo` (the tables), :mod:`~api.announce.chat` (opt-in/out inside a turn),
:mod:`~api.announce.delivery` (the paced, leased, resumable sender), :mod:`~api.announce.telegram`
(Bot API calls), :mod:`~api.announce.queue` (procrastinate on PostgreSQL, an in-process runner on
SQLite), :mod:`~api.announce.routes` (admin REST and console pages), :mod:`~api.announce.stats`
(counts for the dashboard).
"""
