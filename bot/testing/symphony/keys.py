"""The bot's RSA key pair and the BDK configuration that points the BDK at a pod double."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@functools.cache
def default_key_pair() -> tuple[str, str]:
    """One RSA 2048 key pair per process (generating one costs ~50 ms; pods are many)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def public_from_private(private_key_pem: str) -> str:
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def bdk_config(port: int, bot_username: str, private_key_path: str | Path) -> dict[str, Any]:
    """A BDK config dict pointing pod, agent and key manager at a double on ``port``."""
    server = {"scheme": "http", "host": "127.0.0.1", "port": port}
    return {
        **server,
        "pod": dict(server),
        "agent": dict(server),
        "keyManager": dict(server),
        "bot": {"username": bot_username, "privateKey": {"path": str(private_key_path)}},
        "datafeed": {
            "version": "v2",  # a datafeed section without it crashes SymphonyBdk()
            "retry": {
                "maxAttempts": 3,
                "initialIntervalMillis": 50,
                "multiplier": 2,
                "maxIntervalMillis": 200,
            },
        },
        "retry": {
            "maxAttempts": 2,
            "initialIntervalMillis": 50,
            "multiplier": 1,
            "maxIntervalMillis": 100,
        },
    }
