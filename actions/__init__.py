"""Custom Rasa actions, run in-process (none yet)."""
