"""The matrix platform."""
