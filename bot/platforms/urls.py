"""A platform's base URL in its config section: http or https, kept without a trailing slash (the
clients join paths to it)."""

from __future__ import annotations

from pydantic import AfterValidator


def base_url(problem: str) -> AfterValidator:
    """The check of a base URL field (``Annotated[str, base_url(...)]``); ``problem``: what a
    value that is not http(s) is told, as the platform's docs put it."""

    def checked(value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(problem)
        return value.rstrip("/")

    return AfterValidator(checked)
