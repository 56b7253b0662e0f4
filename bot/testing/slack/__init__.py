"""The slack double."""
