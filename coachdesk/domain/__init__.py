"""Plain dataclasses and rules: no database, no Qt."""
