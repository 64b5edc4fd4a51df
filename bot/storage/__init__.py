"""Storage: our own tables and Rasa's tracker store, in one database."""
