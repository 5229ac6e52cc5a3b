"""Open ports plugin (placeholder while it is being written)."""
