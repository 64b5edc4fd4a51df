"""Fuzz runs of the webhooks: random, truncated and mutated bodies through the ASGI app."""
