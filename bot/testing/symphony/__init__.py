"""The Symphony double: pod, agent and key manager on loopback, checked against the specs."""

from bot.testing.symphony.pod import SymphonyPod
from bot.testing.symphony.state import (
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
    "SymphonyPod",
]
