"""The chime double."""
