"""Partnerships: sponsors, agreements, funded team, priorities, prospects (between metrics
and views)."""
