"""The operator console: queue, cases, handoff, supervisor view, yearly report (see app.py)."""
