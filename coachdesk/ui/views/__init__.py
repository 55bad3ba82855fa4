"""The main window's areas: clients, trash, audit trail, settings."""
