"""The rocketchat double."""
