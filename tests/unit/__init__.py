"""Unit tests: plain rules, no Qt, no database."""
