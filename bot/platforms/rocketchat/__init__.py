"""The rocketchat platform."""
