"""The Chime double's state: users, rooms and their memberships, webhooks, recorded traffic,
and the knobs a test sets (failures, held calls)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from bot.testing import kit
from bot.testing.aws.double import Failure
from bot.testing.chime.model import ERROR_CODES, service_model

Role = Literal["Administrator", "Member"]
MemberType = Literal["User", "Bot", "Webhook"]
ZWSP = "\u200b"


def iso(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class ChimeUser:
    user_id: str
    full_name: str
    email: str
    member_type: MemberType = "User"

    def member(self, account_id: str) -> dict[str, Any]:
        return {
            "MemberId": self.user_id,
            "MemberType": self.member_type,
            "Email": self.email,
            "FullName": self.full_name,
            "AccountId": account_id,
        }

    def user(self, account_id: str) -> dict[str, Any]:
        return {
            "UserId": self.user_id,
            "AccountId": account_id,
            "PrimaryEmail": self.email,
            "DisplayName": self.full_name,
            "LicenseType": "Pro",
            "UserType": "PrivateUser",
            "UserRegistrationStatus": "Registered",
        }


@dataclass
class Membership:
    member_id: str
    role: Role
    invited_by: str
    updated: float = field(default_factory=time.time)


@dataclass
class ChimeRoom:
    room_id: str
    name: str
    created_by: str
    created: float = field(default_factory=time.time)
    memberships: dict[str, Membership] = field(default_factory=dict)

    @property
    def roles(self) -> dict[str, Role]:
        """Member id -> role (what tests look at)."""
        return {m.member_id: m.role for m in self.memberships.values()}


@dataclass
class Webhook:
    webhook_id: str
    token: str
    room_id: str
    expires_at: float | None  # monotonic; None: persistent


@dataclass
class WebhookMessage:
    room_id: str
    content: str
    at: float

    @property
    def text(self) -> str:
        """The message as a reader sees it: escapes and code fences undone, no zero-width
        spaces (approximately what Chime's markdown shows)."""
        return plain(self.content)


def plain(markdown: str) -> str:
    """Undo CommonMark backslash escapes and code spans, drop zero-width spaces."""
    out: list[str] = []
    i = 0
    while i < len(markdown):
        ch = markdown[i]
        if ch == "\\" and i + 1 < len(markdown) and _PUNCT.fullmatch(markdown[i + 1]):
            out.append(markdown[i + 1])
            i += 2
            continue
        if ch == "`":
            fence = re.match(r"`+", markdown[i:])
            assert fence is not None
            run = fence.group(0)
            end = markdown.find(run, i + len(run))
            if end != -1:
                inner = markdown[i + len(run) : end]
                if len(inner) > 2 and inner.startswith(" ") and inner.endswith(" "):
                    inner = inner[1:-1]
                out.append(inner)
                i = end + len(run)
                continue
            out.append(run)
            i += len(run)
            continue
        out.append(ch)
        i += 1
    return "".join(out).replace(ZWSP, "")


_PUNCT = re.compile(r"[!-/:-@\[-`{-~]")


def planned_error(
    operation: str, error: str, *, message: str | None, retry_after: float | None, undeclared: bool
) -> Failure:
    """``error`` (a shape or its code) as ``operation`` answers it; the model must declare it
    for that operation unless ``undeclared``."""
    model = service_model()
    if operation not in model.operation_names:
        raise ValueError(f"{operation} is not an operation of the chime model")
    shape = error if error.endswith("Exception") else _shape_for_code(error)
    declared = {s.name for s in model.operation_model(operation).error_shapes}
    if shape not in declared and not undeclared:
        raise ValueError(
            f"{operation} does not declare {shape} in the model (declared: "
            f"{', '.join(sorted(declared))}); pass undeclared=True to send it anyway"
        )
    return Failure(shape, message or f"injected {shape}", retry_after)


def calls_of(operation: str) -> Callable[[str], bool]:
    return lambda called: called == operation


Knobs = kit.Knobs[str, Failure]
"""Failures and holds planned by a test, by operation (``DeleteRoomMembership``)."""


def _shape_for_code(code: str) -> str:
    for shape, value in ERROR_CODES.items():
        if value == code:
            return shape
    raise ValueError(
        f"unknown error {code!r}: use an exception shape name or one of "
        f"{', '.join(ERROR_CODES.values())}"
    )
