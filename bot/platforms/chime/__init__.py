"""The chime platform."""
