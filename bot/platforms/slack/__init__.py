"""The slack platform."""
