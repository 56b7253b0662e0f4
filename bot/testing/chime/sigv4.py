"""The Chime double's SigV4 check: botocore's signer over what arrived (``bot.testing.aws``)."""

from bot.testing.aws.sigv4 import MAX_SKEW_SECONDS, tamper, verify

__all__ = ["MAX_SKEW_SECONDS", "tamper", "verify"]
