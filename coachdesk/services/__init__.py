"""Use cases: one function per user action; each owns its transaction and audit event."""
