"""What the emulated Rocket.Chat server keeps: users, rooms with their room roles, messages, and
the server's own rules (permissions, last owner), with its error texts."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.testing import kit

RoomType = Literal["c", "p", "d"]
"""Public channel, private group, direct message."""

# The default permission -> roles of a fresh server, for the permissions the double checks.
DEFAULT_PERMISSIONS: dict[str, frozenset[str]] = {
    "remove-user": frozenset({"admin", "owner", "moderator"}),
    "set-owner": frozenset({"admin", "owner"}),
    "set-moderator": frozenset({"admin", "owner"}),
    "add-user-to-joined-room": frozenset({"admin", "owner", "moderator"}),
    "add-user-to-any-c-room": frozenset({"admin"}),
    "add-user-to-any-p-room": frozenset(),
    "create-d": frozenset({"admin", "user", "bot", "livechat-agent"}),
    # users.info shows others' e-mails and roles, and finds users by e-mail, only with it.
    "view-full-other-user-info": frozenset({"admin"}),
}

# errorType -> the server's message (the REST answer's "error" is "<message> [<errorType>]").
ERROR_MESSAGES: dict[str, str] = {
    "error-you-are-last-owner": (
        "You are the last owner. Please set new owner before leaving the room."
    ),
    "error-remove-last-owner": (
        "This is the last owner. Please set a new owner before removing this one."
    ),
    "error-not-allowed": "Not allowed",
    "error-user-not-in-room": "User is not in this room",
    "error-room-not-found": (
        'The required "roomId" or "roomName" param provided does not match any group'
    ),
    "error-invalid-user": (
        'The required "userId" or "username" param provided does not match any users'
    ),
    "error-user-not-owner": "User is not an owner",
    "error-user-not-moderator": "User is not a moderator",
    "error-user-already-owner": "User is already an owner",
    "error-user-already-moderator": "User is already a moderator",
    "error-room-archived": "The room is archived",
    "error-invalid-params": "Invalid request parameters",
    "error-invalid-message": "Invalid message",
}

# How the server finds mentions in a message's text (for notifications): any @name / #name.
USER_MENTION = re.compile(r"@([0-9A-Za-z._-]+)")
CHANNEL_MENTION = re.compile(r"#([0-9A-Za-z._-]+)")


class RcError(Exception):
    """An error answer of the server: 400 ``{"success": false, "error", "errorType"}``."""

    def __init__(self, error_type: str, message: str | None = None, *, status: int = 400) -> None:
        self.error_type = error_type
        self.message = message or ERROR_MESSAGES.get(error_type, error_type)
        self.status = status
        super().__init__(self.body()["error"])

    def body(self) -> dict[str, Any]:
        return {
            "success": False,
            "error": f"{self.message} [{self.error_type}]",
            "errorType": self.error_type,
        }


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def new_id() -> str:
    """A Meteor-style 17-character id."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(17))


@dataclass
class RcRequest(kit.RecordedRequest):
    """One request the server received, when it arrived (``at``: ``time.monotonic()``, ``wall``:
    ``time.time()``), and the status and headers of the answer."""

    answer_headers: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    wall: float = field(default_factory=time.time)

    @property
    def endpoint(self) -> str:
        return self.path.removeprefix("/api/v1/")


@dataclass
class RcUser:
    id: str
    username: str
    name: str
    email: str | None = None
    roles: set[str] = field(default_factory=lambda: {"user"})
    active: bool = True

    def info(self, *, full: bool = True) -> dict[str, Any]:
        """``users.info``'s user; ``full``: as the caller may see it (itself, or with
        ``view-full-other-user-info``: e-mails and roles; else neither)."""
        data: dict[str, Any] = {
            "_id": self.id,
            "username": self.username,
            "name": self.name,
            "type": "bot" if "bot" in self.roles else "user",
            "status": "online",
            "active": self.active,
            "roles": sorted(self.roles),
            "utcOffset": 0,
        }
        if self.email:
            data["emails"] = [{"address": self.email, "verified": True}]
        if not full:
            del data["roles"]
            data.pop("emails", None)
        return data

    def brief(self) -> dict[str, Any]:
        return {"_id": self.id, "username": self.username, "name": self.name}


@dataclass
class RcRoom:
    id: str
    name: str
    type: RoomType
    members: list[str] = field(default_factory=list)
    roles: dict[str, set[str]] = field(default_factory=dict)
    """Room roles by user id (owner, moderator, leader)."""
    archived: bool = False
    read_only: bool = False
    creator: str = ""

    @property
    def kind(self) -> str:
        return "groups" if self.type == "p" else "channels"

    def holders(self, role: str) -> set[str]:
        return {uid for uid, held in self.roles.items() if role in held}

    @property
    def owners(self) -> set[str]:
        return self.holders("owner")

    @property
    def moderators(self) -> set[str]:
        return self.holders("moderator")

    def add(self, user_id: str, *roles: str) -> None:
        if user_id not in self.members:
            self.members.append(user_id)
        if roles:
            self.roles.setdefault(user_id, set()).update(roles)

    def remove(self, user_id: str) -> None:
        self.members.remove(user_id)
        self.roles.pop(user_id, None)

    def info(self) -> dict[str, Any]:
        return {
            "_id": self.id,
            "name": self.name,
            "fname": self.name,
            "t": self.type,
            "usersCount": len(self.members),
            "msgs": 0,
            "u": {"_id": self.creator, "username": self.creator},
            "ts": "2026-01-05T09:00:00.000Z",
            "ro": self.read_only,
            "archived": self.archived,
            "default": False,
            "sysMes": True,
            "_updatedAt": now_iso(),
        }


@dataclass
class RcMessage:
    id: str
    rid: str
    msg: str
    user_id: str
    username: str
    tmid: str | None = None
    ts: int = field(default_factory=lambda: int(time.time() * 1000))

    @property
    def mentions(self) -> list[str]:
        """The usernames (and all/here) the server would notify for this text."""
        return USER_MENTION.findall(self.msg)

    @property
    def channel_mentions(self) -> list[str]:
        return CHANNEL_MENTION.findall(self.msg)

    def brief(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "_id": self.id,
            "rid": self.rid,
            "msg": self.msg,
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(self.ts / 1000)),
            "u": {"_id": self.user_id, "username": self.username},
            "_updatedAt": now_iso(),
            "groupable": False,
            "parseUrls": False,
        }
        if self.tmid:
            data["tmid"] = self.tmid
        return data


@dataclass
class World:
    """Users, rooms and messages, and the rules that change them."""

    users: dict[str, RcUser] = field(default_factory=dict)
    rooms: dict[str, RcRoom] = field(default_factory=dict)
    messages: list[RcMessage] = field(default_factory=list)
    permissions: dict[str, frozenset[str]] = field(
        default_factory=lambda: dict(DEFAULT_PERMISSIONS)
    )

    def user(self, user_id: str) -> RcUser:
        user = self.users.get(user_id)
        if user is None:
            raise RcError("error-invalid-user")
        return user

    def find_user(self, kind: str, value: str) -> RcUser | None:
        wanted = value.lower()
        for user in self.users.values():
            if kind == "userId" and user.id == value:
                return user
            if kind == "username" and user.username.lower() == wanted:
                return user
            if kind == "email" and (user.email or "").lower() == wanted:
                return user
        return None

    def has_permission(self, user_id: str, permission: str, room: RcRoom | None) -> bool:
        held = set(self.user(user_id).roles)
        if room is not None:
            held |= room.roles.get(user_id, set())
        return bool(held & self.permissions.get(permission, frozenset()))

    def room_for(self, caller: str, kind: str, room_id: str | None) -> RcRoom:
        """``groups.*`` find private groups the caller is in; ``channels.*`` public channels."""
        if not room_id:
            raise RcError(
                "error-room-param-not-provided", 'The parameter "roomId" or "roomName" is required'
            )
        room = self.rooms.get(room_id)
        wanted = "p" if kind == "groups" else "c"
        if room is None or room.type != wanted or (wanted == "p" and caller not in room.members):
            what = "group" if kind == "groups" else "channel"
            raise RcError(
                "error-room-not-found",
                f'The required "roomId" or "roomName" param provided does not match any {what}',
            )
        return room

    def can_access(self, caller: str, room: RcRoom) -> bool:
        return room.type == "c" or caller in room.members or "admin" in self.user(caller).roles

    # --- the server's rules for changes ----------------------------------------------------------

    def kick(self, caller: str, room: RcRoom, user_id: str) -> None:
        if room.archived:
            raise RcError("error-room-archived", f"The room, {room.name}, is archived")
        if not self.has_permission(caller, "remove-user", room):
            raise RcError("error-not-allowed")
        self.user(user_id)
        if user_id not in room.members:
            raise RcError("error-user-not-in-room")
        if user_id in room.owners and len(room.owners) == 1:
            raise RcError("error-you-are-last-owner")
        room.remove(user_id)

    def remove_role(self, caller: str, room: RcRoom, user_id: str, role: str) -> None:
        self._may_set_role(caller, room, user_id, role)
        if role not in room.roles.get(user_id, set()):
            raise RcError("error-user-not-owner" if role == "owner" else "error-user-not-moderator")
        if role == "owner" and len(room.owners) == 1:
            raise RcError("error-remove-last-owner")
        room.roles[user_id].discard(role)

    def add_role(self, caller: str, room: RcRoom, user_id: str, role: str) -> None:
        self._may_set_role(caller, room, user_id, role)
        if role in room.roles.get(user_id, set()):
            kind = "owner" if role == "owner" else "moderator"
            raise RcError(f"error-user-already-{kind}")
        room.roles.setdefault(user_id, set()).add(role)

    def _may_set_role(self, caller: str, room: RcRoom, user_id: str, role: str) -> None:
        """What Rocket.Chat checks first when a role is given or taken away (RcError if not)."""
        permission = "set-owner" if role == "owner" else "set-moderator"
        if not self.has_permission(caller, permission, room):
            raise RcError("error-not-allowed")
        self.user(user_id)
        if user_id not in room.members:
            raise RcError("error-user-not-in-room")

    def open_direct(self, caller: str, username: str) -> RcRoom:
        """``createDirectMessage``: the caller's 1:1 room with ``username``, made on first use;
        its id is both user ids sorted and joined, as the server makes it."""
        if not self.has_permission(caller, "create-d", None):
            raise RcError("error-not-allowed")
        me = self.user(caller)
        to = self.find_user("username", username)
        if to is None or to.id == me.id:
            raise RcError("error-invalid-user")
        rid = "".join(sorted((me.id, to.id)))
        room = self.rooms.get(rid)
        if room is None:
            room = RcRoom(rid, rid, "d", members=[me.id, to.id], creator=me.id)
            self.rooms[rid] = room
        return room

    def invite(self, caller: str, room: RcRoom, user_id: str) -> None:
        any_room = "add-user-to-any-p-room" if room.type == "p" else "add-user-to-any-c-room"
        joined = caller in room.members and self.has_permission(
            caller, "add-user-to-joined-room", room
        )
        if not (joined or self.has_permission(caller, any_room, room)):
            raise RcError("error-not-allowed")
        if room.archived:
            raise RcError("error-room-archived", f"The room, {room.name}, is archived")
        self.user(user_id)
        room.add(user_id)
