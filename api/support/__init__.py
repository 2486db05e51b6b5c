"""Support points: where citizens get help in person (tables, admin and public REST, chat, console page)."""
