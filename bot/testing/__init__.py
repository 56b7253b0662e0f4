"""Test doubles shipped with kickbot: used by the tests and by ``kickbot demo``."""

from bot.testing.spec_check import SpecViolation
from bot.testing.symphony_pod import SymphonyPod
from bot.testing.symphony_state import (
    USER_PROVISIONING,
    RecordedRequest,
    SimGroup,
    SimMessage,
    SimRoom,
    SimUser,
)

__all__ = [
    "USER_PROVISIONING",
    "RecordedRequest",
    "SimGroup",
    "SimMessage",
    "SimRoom",
    "SimUser",
    "SpecViolation",
    "SymphonyPod",
]
