"""Vietnamese NLU: Rasa graph components and the data they read."""
