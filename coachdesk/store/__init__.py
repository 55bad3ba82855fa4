"""Persistence: the encrypted vault, its tables, migrations and repositories."""
