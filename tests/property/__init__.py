"""Property-based tests (hypothesis) for every payload parser and the text normaliser."""
