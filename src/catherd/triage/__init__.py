"""Decisions from metrics: what needs a person today (triage), and who should review."""
