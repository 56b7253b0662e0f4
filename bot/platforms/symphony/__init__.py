"""The symphony platform."""
