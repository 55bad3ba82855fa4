"""CoachDesk: local-first practice software for solo coaches."""

APP_NAME = "CoachDesk"
APP_ID = "coachdesk"
__version__ = "0.1.0"
