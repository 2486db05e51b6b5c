"""Trợ lý 06: the conversation core, channel adapters and the command line."""
