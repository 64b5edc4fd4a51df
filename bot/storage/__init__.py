"""Storage: Rasa's tracker store from our database URL (our own tables come later)."""
