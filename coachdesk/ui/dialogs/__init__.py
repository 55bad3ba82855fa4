"""Dialogs: vault creation and unlock, practice profile, client editor."""
