"""The REST endpoints of the emulated Rocket.Chat server: one small function each.

Each takes the authenticated caller's id and the request's query and JSON body, changes the world
by its rules and returns the success body (``"success": true`` is added by the gateway), or
raises ``RcError`` with the server's error type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.testing.rocketchat.state import RcError, RcMessage, World, new_id


@dataclass(frozen=True)
class Call:
    caller: str
    query: dict[str, str]
    body: dict[str, Any]


Endpoint = Callable[[World, Call], Awaitable[dict[str, Any]]]
SPEC_OF = {
    "me": "authentication",
    "users.info": "user-management",
    "chat.postMessage": "messaging",
    "dm.create": "messaging",
}
"""Which vendored spec describes an endpoint (default: rooms)."""


def _user_id(call: Call) -> str:
    user_id = call.body.get("userId")
    if not isinstance(user_id, str) or not user_id:
        raise RcError(
            "error-user-param-not-provided",
            'The required "userId" or "username" param was not provided',
        )
    return user_id


async def me(world: World, call: Call) -> dict[str, Any]:
    return world.user(call.caller).info()


async def users_info(world: World, call: Call) -> dict[str, Any]:
    # The server's getFullUserDataByUniqueSearchTerm: a caller without view-full-other-user-info
    # sees others without e-mails and roles, and cannot find anyone by e-mail ("User not
    # found.", as for an address nobody has); itself it always sees in full.
    for kind in ("userId", "username", "email"):
        if call.query.get(kind):
            user = world.find_user(kind, call.query[kind])
            full = (user is not None and user.id == call.caller) or world.has_permission(
                call.caller, "view-full-other-user-info", None
            )
            if user is None or (kind == "email" and not full):
                raise _UserNotFound()
            return {"user": user.info(full=full)}
    raise RcError("invalid-params", "must have required property 'userId' [invalid-params]")


class _UserNotFound(RcError):
    """users.info's not-found answer has no error type: ``{"success": false, "error": "User not
    found."}``."""

    def __init__(self) -> None:
        super().__init__("", "User not found.")

    def body(self) -> dict[str, Any]:
        return {"success": False, "error": "User not found."}


async def rooms_info(world: World, call: Call) -> dict[str, Any]:
    room = world.rooms.get(call.query.get("roomId", ""))
    if room is None or not world.can_access(call.caller, room):
        raise RcError("error-not-allowed", "Not Allowed")
    return {"room": room.info()}


def room_endpoints(kind: str) -> dict[str, Endpoint]:
    """``groups.*`` or ``channels.*``: the same rules, found by room type."""
    key = "group" if kind == "groups" else "channel"

    async def info(world: World, call: Call) -> dict[str, Any]:
        return {key: world.room_for(call.caller, kind, call.query.get("roomId")).info()}

    async def roles(world: World, call: Call) -> dict[str, Any]:
        room = world.room_for(call.caller, kind, call.query.get("roomId"))
        out = []
        for uid, held in room.roles.items():
            if held and uid in world.users:
                user = world.users[uid]
                out.append(
                    {
                        "_id": f"{room.id}-{uid}",
                        "rid": room.id,
                        "u": user.brief(),
                        "roles": sorted(held),
                    }
                )
        return {"roles": out}

    async def members(world: World, call: Call) -> dict[str, Any]:
        room = world.room_for(call.caller, kind, call.query.get("roomId"))
        try:
            offset = int(call.query.get("offset", "0"))
            count = int(call.query.get("count", "50"))
        except ValueError:
            raise RcError("error-invalid-params", "offset and count must be numbers") from None
        everyone = sorted((world.users[u] for u in room.members), key=lambda u: u.username)
        page = everyone[offset : offset + count] if count > 0 else everyone[offset:]
        return {
            "members": [{**u.brief(), "status": "online", "utcOffset": 0} for u in page],
            "count": len(page),
            "offset": offset,
            "total": len(everyone),
        }

    async def kick(world: World, call: Call) -> dict[str, Any]:
        room = world.room_for(call.caller, kind, call.body.get("roomId"))
        world.kick(call.caller, room, _user_id(call))
        return {key: room.info()}

    def role_change(role: str, add: bool) -> Endpoint:
        async def change(world: World, call: Call) -> dict[str, Any]:
            room = world.room_for(call.caller, kind, call.body.get("roomId"))
            if add:
                world.add_role(call.caller, room, _user_id(call), role)
            else:
                world.remove_role(call.caller, room, _user_id(call), role)
            return {}

        return change

    async def invite(world: World, call: Call) -> dict[str, Any]:
        room = world.room_for(call.caller, kind, call.body.get("roomId"))
        ids = call.body.get("userIds") or [call.body.get("userId")]
        for uid in ids:
            if not isinstance(uid, str) or not uid:
                raise RcError(
                    "error-users-params-not-provided",
                    'Please provide "userId" or "username" or "userIds" or "usernames" as param',
                )
            world.invite(call.caller, room, uid)
        return {key: room.info()}

    return {
        f"{kind}.info": info,
        f"{kind}.roles": roles,
        f"{kind}.members": members,
        f"{kind}.kick": kick,
        f"{kind}.removeOwner": role_change("owner", add=False),
        f"{kind}.removeModerator": role_change("moderator", add=False),
        f"{kind}.addOwner": role_change("owner", add=True),
        f"{kind}.addModerator": role_change("moderator", add=True),
        f"{kind}.invite": invite,
    }


async def rooms_get(world: World, call: Call) -> dict[str, Any]:
    """The caller's joined rooms (channels, private groups, direct messages), all as updates."""
    mine = [room for room in world.rooms.values() if call.caller in room.members]
    return {"update": [room.info() for room in mine], "remove": []}


async def dm_create(world: World, call: Call) -> dict[str, Any]:
    """``dm.create`` (``im.create`` is the same route): one ``username``; group DMs are not
    emulated."""
    username = call.body.get("username")
    if not isinstance(username, str) or not username:
        raise RcError("invalid-params", "must have required property 'username' [invalid-params]")
    room = world.open_direct(call.caller, username)
    usernames = [world.users[u].username for u in room.members]
    return {"room": {"t": "d", "rid": room.id, "usernames": usernames}}


def post_message(on_post: Callable[[RcMessage], None]) -> Endpoint:
    async def handler(world: World, call: Call) -> dict[str, Any]:
        room = world.rooms.get(str(call.body.get("roomId") or ""))
        if room is None:
            raise RcError("error-room-not-found", "No room found by the id given")
        if not world.can_access(call.caller, room) or (
            room.type in ("p", "d") and call.caller not in room.members
        ):
            raise RcError("error-not-allowed")
        tmid = call.body.get("tmid")
        if tmid is not None and not any(m.id == tmid and m.rid == room.id for m in world.messages):
            raise RcError("error-invalid-message", "Invalid thread: no such message in this room")
        author = world.user(call.caller)
        message = RcMessage(
            new_id(), room.id, str(call.body.get("text") or ""), author.id, author.username, tmid
        )
        world.messages.append(message)
        on_post(message)
        return {"ts": message.ts, "channel": room.id, "message": message.brief()}

    return handler


GETS = frozenset(
    {"me", "users.info", "rooms.info", "rooms.get"}
    | {f"{k}.{e}" for k in ("groups", "channels") for e in ("info", "roles", "members")}
)


def endpoints(on_post: Callable[[RcMessage], None]) -> dict[str, Endpoint]:
    return {
        "me": me,
        "users.info": users_info,
        "rooms.info": rooms_info,
        "rooms.get": rooms_get,
        **room_endpoints("groups"),
        **room_endpoints("channels"),
        "chat.postMessage": post_message(on_post),
        "dm.create": dm_create,
    }
