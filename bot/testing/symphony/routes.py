"""Login, relay and pod handlers of the emulated Symphony pod.

Errors are raised as :class:`ApiError`; the gateway answers them with the specs' error shape and,
when the bot is at fault in a way the spec cannot express (a spec gap), records a violation.
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

import jwt
from aiohttp import web

from bot.testing.symphony.http import ApiError, Auth, Route
from bot.testing.symphony.state import USER_PROVISIONING, SimGroup, SimRoom, url_safe_id

if TYPE_CHECKING:
    from bot.testing.symphony.pod import SymphonyPod

MAX_USERS_PER_LOOKUP = 100


async def read_json(request: web.Request) -> Any:
    """The JSON body (None when empty); the spec check has already vetted it."""
    raw = await request.read()
    return json.loads(raw) if raw else None


def find_stream(pod: SymphonyPod, raw_id: str) -> SimRoom:
    """The stream named in a URL; the API wants URL-safe base64 ids there."""
    if url_safe_id(raw_id) != raw_id:
        raise ApiError(
            400,
            f"Stream id {raw_id!r} is not URL-safe base64 (use - and _, no = padding)",
            violation="stream-id",
        )
    room = pod.rooms.get(raw_id)
    if room is None:
        raise ApiError(400, f"Stream {raw_id} not found")
    return room


class PodRoutes:
    """Login, relay and pod handlers over the state held by the :class:`SymphonyPod`."""

    def __init__(self, pod: SymphonyPod) -> None:
        self.pod = pod

    def routes(self) -> list[Route]:
        session: Auth = "session"
        membership = ("add", "remove", "promoteOwner", "demoteOwner")
        return [
            Route("POST", "/login/pubkey/authenticate", self.login, "none"),
            Route("POST", "/relay/pubkey/authenticate", self.relay, "none"),
            Route("GET", "/pod/v2/sessioninfo", self.session_info, session),
            Route("GET", "/pod/v3/room/{id}/info", self.room_info, session),
            Route("GET", "/pod/v2/room/{id}/membership/list", self.room_members, session),
            *(
                Route("POST", f"/pod/v1/room/{{id}}/membership/{action}", self.membership, session)
                for action in membership
            ),
            Route("GET", "/pod/v1/admin/stream/{id}/membership/list", self.stream_members, session),
            Route("GET", "/pod/v3/users", self.users, session),
            Route("POST", "/pod/v1/admin/user/{uid}/streams/list", self.user_streams, session),
            Route("POST", "/pod/v1/im/create", self.im_create, session),
            Route("GET", "/pod/v1/admin/group/{gid}/membership/list", self.ib_list, session),
            *(
                Route("POST", f"/pod/v1/admin/group/{{gid}}/membership/{action}", self.ib, session)
                for action in ("add", "remove")
            ),
        ]

    # -- helpers -----------------------------------------------------------------------------

    def _room(self, request: web.Request) -> SimRoom:
        room = find_stream(self.pod, request.match_info["id"])
        if room.stream_type != "ROOM":
            raise ApiError(400, f"Stream {room.stream_id} is not a room")
        return room

    async def _target_user(self, request: web.Request) -> int:
        body = await read_json(request)
        # Spec gap: `UserId.id` is optional in the spec, so no validator catches its absence.
        if not isinstance(body, dict) or not isinstance(body.get("id"), int):
            raise ApiError(400, 'Request body must be {"id": <user id>}', violation="spec-gap")
        user_id: int = body["id"]
        return user_id

    @staticmethod
    def _success(message: str) -> web.Response:
        return web.json_response({"format": "TEXT", "message": message})

    # -- login and key manager ---------------------------------------------------------------

    async def _authenticate(
        self, request: web.Request, name: str, tokens: set[str]
    ) -> web.Response:
        body = await read_json(request)
        token = body.get("token") if isinstance(body, dict) else None
        try:
            claims = jwt.decode(
                str(token),
                self.pod.public_key_pem,
                algorithms=["RS512"],
                options={"require": ["sub", "exp"]},
            )
        except jwt.PyJWTError as exc:
            raise ApiError(401, f"Invalid authentication token: {exc}") from exc
        if claims["sub"] != self.pod.bot_username:
            raise ApiError(401, f"Unknown service account {claims['sub']!r}")
        # Opaque (non-JWT) tokens: the BDK then cannot use simplified key delivery and calls
        # /relay for a key-manager token, as with most real pods.
        issued = secrets.token_hex(32)
        tokens.add(issued)
        return web.json_response({"name": name, "token": issued})

    async def login(self, request: web.Request) -> web.Response:
        return await self._authenticate(request, "sessionToken", self.pod.session_tokens)

    async def relay(self, request: web.Request) -> web.Response:
        return await self._authenticate(request, "keyManagerToken", self.pod.km_tokens)

    # -- pod ---------------------------------------------------------------------------------

    async def im_create(self, request: web.Request) -> web.Response:
        """The bot's 1:1 IM with one user (the same stream each time, as on a real pod)."""
        body = await read_json(request)
        if not isinstance(body, list) or len(body) != 1 or not isinstance(body[0], int):
            raise ApiError(400, "Expected a list with one user id (an IM)", violation="double")
        user_id: int = body[0]
        if user_id not in self.pod.users:
            raise ApiError(400, f"User {user_id} not found")
        for room in self.pod.rooms.values():
            if room.stream_type == "IM" and set(room.members) == {self.pod.bot_user_id, user_id}:
                return web.json_response({"id": room.stream_id})
        return web.json_response({"id": self.pod.add_im(user_id).stream_id})

    async def session_info(self, request: web.Request) -> web.Response:
        bot = self.pod.user(self.pod.bot_user_id)
        return web.json_response(bot.user_v2(roles=sorted(self.pod.bot_roles)))

    async def room_info(self, request: web.Request) -> web.Response:
        room = self._room(request)
        return web.json_response(
            {
                "roomAttributes": {
                    "name": room.name,
                    "description": "",
                    "membersCanInvite": False,
                    "discoverable": False,
                    "public": False,
                    "readOnly": False,
                    "copyProtected": False,
                    "crossPod": False,
                    "viewHistory": False,
                    "multiLateralRoom": False,
                },
                "roomSystemInfo": {
                    "id": room.stream_id,
                    "creationDate": room.creation_date,
                    "createdByUserId": room.created_by,
                    "active": room.active,
                },
            }
        )

    async def room_members(self, request: web.Request) -> web.Response:
        room = self._room(request)
        return web.json_response(
            [
                {
                    "id": uid,
                    "owner": owner,
                    "joinDate": room.join_dates.get(uid, room.creation_date),
                }
                for uid, owner in room.members.items()
            ]
        )

    async def stream_members(self, request: web.Request) -> web.Response:
        """The admin membership list: pages of members with their company and whether they are
        external to the pod's company."""
        if USER_PROVISIONING not in self.pod.bot_roles:
            raise ApiError(403, "The user lacks the required entitlement to perform this operation")
        room = find_stream(self.pod, request.match_info["id"])
        skip = int(request.query.get("skip", "0"))
        limit = min(int(request.query.get("limit", "100")), 1000)
        everyone = sorted(room.members.items())
        page = []
        for uid, owner in everyone[skip : skip + limit]:
            user = self.pod.users.get(uid)
            company = user.company if user else self.pod.company
            page.append(
                {
                    "user": {
                        "userId": uid,
                        "email": user.email if user else "",
                        "displayName": user.display_name if user else "",
                        "company": company,
                        "isExternal": company != self.pod.company,
                    },
                    "isOwner": owner,
                    "isCreator": uid == room.created_by,
                    "joinDate": room.join_dates.get(uid, room.creation_date),
                }
            )
        return web.json_response(
            {"count": len(everyone), "skip": skip, "limit": limit, "members": page}
        )

    async def user_streams(self, request: web.Request) -> web.Response:
        """The admin list of one user's streams (User Provisioning): oldest first, paged by
        skip/limit (default 50, at most 1000), filtered by type; inactive streams only when
        ``includeInactiveStreams`` is true."""
        if USER_PROVISIONING not in self.pod.bot_roles:
            raise ApiError(403, "The user lacks the required entitlement to perform this operation")
        uid = int(request.match_info["uid"])
        if uid not in self.pod.users:
            raise ApiError(400, f"User {uid} not found")
        body = await read_json(request) or {}
        types = {t.get("type") for t in body.get("streamTypes") or []}
        inactive = bool(body.get("includeInactiveStreams", False))
        skip = int(request.query.get("skip", "0"))
        limit = int(request.query.get("limit", "50"))
        if skip < 0 or not 0 < limit <= 1000:
            raise ApiError(400, "skip must be >= 0 and limit between 1 and 1000")
        streams = sorted(
            (
                s
                for s in self.pod.rooms.values()
                if uid in s.members
                and (not types or s.stream_type in types)
                and (s.active or inactive)
            ),
            key=lambda s: (s.creation_date, s.stream_id),
        )
        page = []
        for s in streams[skip : skip + limit]:
            entry: dict[str, Any] = {
                "id": s.stream_id,
                "crossPod": False,
                "active": s.active,
                "streamType": {"type": s.stream_type},
            }
            if s.stream_type == "ROOM":
                entry["roomAttributes"] = {"name": s.name}
            else:
                entry["streamAttributes"] = {"members": sorted(s.members)}
            page.append(entry)
        return web.json_response(page)

    async def membership(self, request: web.Request) -> web.Response:
        action = request.path.rsplit("/", 1)[1]
        room = self._room(request)
        user_id = await self._target_user(request)
        if not room.active:
            # "If false, no messages can be sent in this stream, and membership is locked."
            raise ApiError(400, f"Room {room.stream_id} is deactivated: membership is locked")
        if action == "add":
            user = self.pod.users.get(user_id)
            if user is None or not user.active:
                raise ApiError(400, f"User {user_id} not found or deactivated")
            if user_id not in room.members:  # adding a member again is a no-op
                room.set_member(user_id, owner=False)
            return self._success("Member added")
        if user_id not in room.members:
            # Undocumented: the spec gives no status or wording for a target who is not (or no
            # longer) a member; a 400 with this message is the double's guess.
            raise ApiError(400, f"User {user_id} is not a member of the room")
        if action == "remove":
            room.drop_member(user_id)  # removing the last owner is allowed, as in the real API
            return self._success("Member removed")
        if action == "promoteOwner":
            room.set_member(user_id, owner=True)
            return self._success("Member promoted to owner")
        if not room.members[user_id]:
            raise ApiError(400, f"User {user_id} is not an owner of the room")
        if room.owners == {user_id}:
            raise ApiError(400, "The last owner of a room cannot be demoted")
        room.set_member(user_id, owner=False)
        return self._success("Owner demoted")

    async def users(self, request: web.Request) -> web.Response:
        query = request.query
        given = [key for key in ("uid", "email", "username") if key in query]
        if len(given) != 1:
            raise ApiError(400, "Exactly one of uid, email or username must be given")
        values = [v.strip() for v in query[given[0]].split(",") if v.strip()]
        if not values or len(values) > MAX_USERS_PER_LOOKUP:
            raise ApiError(400, f"Give between 1 and {MAX_USERS_PER_LOOKUP} values")
        if given[0] == "uid" and not all(v.isdigit() for v in values):
            raise ApiError(400, "uid must be a comma-separated list of user ids")
        # `active` absent: everyone; true: active users only; false: deactivated ones only.
        wanted_active = {"true": True, "false": False}.get(query.get("active", "").lower())
        found = []
        for value in values:
            user = self.pod.find_user(given[0], value)
            if user and (wanted_active is None or user.active == wanted_active):
                found.append(user.user_v2())
        if not found:
            return web.Response(status=204)
        return web.json_response({"users": found})

    def _ib_group_or_403(self, request: web.Request, missing_status: int) -> SimGroup:
        if USER_PROVISIONING not in self.pod.bot_roles:
            raise ApiError(403, "The user lacks the required entitlement to perform this operation")
        group = self.pod.groups.get(request.match_info["gid"])
        if group is None:
            raise ApiError(missing_status, f"Group {request.match_info['gid']} not found")
        return group

    async def ib_list(self, request: web.Request) -> web.Response:
        group = self._ib_group_or_403(request, 404)
        skip = int(request.query.get("skip", "0"))
        limit = int(request.query.get("limit", "0")) or None
        members = sorted(group.members)[skip:]
        return web.json_response(members[:limit] if limit else members)

    async def ib(self, request: web.Request) -> web.Response:
        action = request.path.rsplit("/", 1)[1]
        group = self._ib_group_or_403(request, 400)  # the spec lists no 404 for add/remove
        user_ids = await read_json(request)
        if not isinstance(user_ids, list) or not user_ids:
            raise ApiError(400, "Body must be a non-empty list of user ids")
        results = []
        for uid in user_ids:
            user = self.pod.users.get(uid)
            if user is None:
                results.append(f"User {uid} not found")
            elif not user.active:
                # "It is currently not possible to remove a deactivated user from an IB group via
                # the API." (Symphony docs)
                results.append(f"User {uid} is deactivated")
            elif action == "remove" and uid not in group.members:
                results.append(f"User {uid} is not a member of group {group.gid}")
            else:
                if action == "remove":
                    group.members.discard(uid)
                else:
                    group.members.add(uid)
                results.append("")
        # Undocumented: overallResult when only some items fail; the double says FAIL.
        overall = "SUCCESS" if all(r == "" for r in results) else "FAIL"
        return web.json_response({"overallResult": overall, "results": results})
