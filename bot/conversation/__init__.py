"""The conversation: who is writing, where it stands, what to say next."""
