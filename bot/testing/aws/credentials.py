"""The credentials an AWS double accepts, as botocore finds them (the environment) and as
its requests are checked (their SigV4 signature, recomputed)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

from aiohttp import web

from bot.testing.aws import sigv4


@dataclass(frozen=True)
class Keys:
    """A double's one access key, its secret and its region."""

    access_key: str
    secret_key: str
    region: str

    def env(self) -> dict[str, str]:
        """Environment variables through which botocore finds these credentials."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def problem(self, request: web.Request, body: bytes, service: str = "chime") -> str | None:
        """What is wrong with the request's SigV4 signature, or None if it is genuine."""
        return sigv4.verify(
            method=request.method,
            raw_path=request.raw_path,
            query=request.query.items(),
            headers=request.headers,
            body=body,
            secrets={self.access_key: self.secret_key},
            region=self.region,
            service=service,
        )


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set variables while botocore reads its credentials, then put everything back."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
