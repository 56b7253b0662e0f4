"""The chat-room operations the Chime double carries out, on its accounts, users and rooms.

Each takes the operation's input as rebuilt from the request (model member names) and returns
(status, output) or raises ``ChimeError`` with one of the operation's declared error shapes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.testing.aws.paging import paged
from bot.testing.chime.state import ChimeRoom, ChimeUser, Membership, iso

Params = dict[str, Any]
Answer = tuple[int, dict[str, Any]]


class ChimeError(Exception):
    """An answer with one of the model's error shapes."""

    def __init__(self, shape: str, message: str) -> None:
        super().__init__(message)
        self.shape = shape
        self.message = message


@dataclass(eq=False)
class Operations:
    """The operations on one account's users and rooms (the double's own dicts, shared)."""

    account_id: str
    users: dict[str, ChimeUser]
    rooms: dict[str, ChimeRoom]
    bot: ChimeUser
    default_page_size: int

    @property
    def handlers(self) -> dict[str, Callable[[Params], Answer]]:
        """Each operation by its name in the service model."""
        return {
            "GetRoom": self._get_room,
            "ListRoomMemberships": self._list_memberships,
            "DeleteRoomMembership": self._delete_membership,
            "UpdateRoomMembership": self._update_membership,
            "CreateRoomMembership": self._create_membership,
            "ListUsers": self._list_users,
            "ListRooms": self._list_rooms,
        }

    def _list_rooms(self, params: Params) -> Answer:
        """The account's rooms, or with ``MemberId`` those that member belongs to, paged."""
        who = params.get("MemberId")
        rooms = [r for r in self.rooms.values() if who is None or who in r.memberships]
        items = [self._get_room({"RoomId": r.room_id})[1]["Room"] for r in rooms]
        return self._paged("Rooms", items, params)

    def _room(self, params: Params) -> ChimeRoom:
        room = self.rooms.get(params["RoomId"])
        if room is None:
            raise ChimeError("NotFoundException", f"The room {params['RoomId']} does not exist.")
        return room

    def _membership(self, room: ChimeRoom, membership: Membership) -> dict[str, Any]:
        return {
            "RoomId": room.room_id,
            "Member": self.users[membership.member_id].member(self.account_id),
            "Role": membership.role,
            "InvitedBy": membership.invited_by,
            "UpdatedTimestamp": iso(membership.updated),
        }

    def _get_room(self, params: Params) -> Answer:
        room = self._room(params)
        return 200, {
            "Room": {
                "RoomId": room.room_id,
                "Name": room.name,
                "AccountId": self.account_id,
                "CreatedBy": room.created_by,
                "CreatedTimestamp": iso(room.created),
                "UpdatedTimestamp": iso(room.created),
            }
        }

    def _paged(self, key: str, items: list[Any], params: Params) -> Answer:
        bad_token = ChimeError("BadRequestException", "The next token is not valid.")
        return paged(key, items, params, self.default_page_size, bad_token)

    def _list_memberships(self, params: Params) -> Answer:
        room = self._room(params)
        items = [self._membership(room, m) for m in room.memberships.values()]
        return self._paged("RoomMemberships", items, params)

    def _delete_membership(self, params: Params) -> Answer:
        room = self._room(params)
        if room.memberships.pop(params["MemberId"], None) is None:
            raise ChimeError("NotFoundException", "The member is not in the room.")
        return 204, {}

    def _update_membership(self, params: Params) -> Answer:
        room = self._room(params)
        membership = room.memberships.get(params["MemberId"])
        if membership is None:
            raise ChimeError("NotFoundException", "The member is not in the room.")
        if self.users[membership.member_id].member_type != "User":
            raise ChimeError("BadRequestException", "The role can be updated only for user IDs.")
        if "Role" in params:
            membership.role = params["Role"]
            membership.updated = time.time()
        return 200, {"RoomMembership": self._membership(room, membership)}

    def _create_membership(self, params: Params) -> Answer:
        room = self._room(params)
        member_id = params["MemberId"]
        if member_id not in self.users:
            raise ChimeError("NotFoundException", f"The member {member_id} does not exist.")
        if member_id in room.memberships:
            raise ChimeError("ConflictException", "The member is already in the room.")
        membership = Membership(member_id, params.get("Role", "Member"), self.bot.user_id)
        room.memberships[member_id] = membership
        return 201, {"RoomMembership": self._membership(room, membership)}

    def _list_users(self, params: Params) -> Answer:
        users = [u for u in self.users.values() if u.member_type == "User"]
        if "UserEmail" in params:
            wanted = params["UserEmail"].lower()
            users = [u for u in users if u.email.lower() == wanted]
        return self._paged("Users", [u.user(self.account_id) for u in users], params)
