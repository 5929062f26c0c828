"""Screens of the dashboard: runs list, run details, compare, confirm, help."""
