"""``Homeserver``: a small client-server API helper for the people in a test (register,
create rooms with power levels, say things).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.testing.matrix.server import SynapseServer


class MatrixCallError(Exception):
    def __init__(self, status: int, body: Mapping[str, Any]):
        super().__init__(f"{status} {body.get('errcode')}: {body.get('error')}")
        self.status = status
        self.errcode = str(body.get("errcode") or "")
        self.body = body


@dataclass(frozen=True, slots=True)
class Account:
    user_id: str
    access_token: str
    device_id: str
    display_name: str

    @property
    def pill(self) -> str:
        href = "https://matrix.to/#/" + quote(self.user_id, safe="@:")
        return f'<a href="{escape(href)}">{escape(self.display_name)}</a>'


class Homeserver:
    """What a person (or an admin) does through Synapse's client-server and admin APIs."""

    def __init__(self, url: str, shared_secret: str, server_name: str):
        self.url = url
        self.shared_secret = shared_secret
        self.server_name = server_name
        self._session: aiohttp.ClientSession | None = None
        self._txn = 0

    @classmethod
    def of(cls, server: SynapseServer) -> Homeserver:
        return cls(server.url, server.shared_secret, server.server_name)

    async def __aenter__(self) -> Homeserver:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        return self._session

    async def request(
        self,
        who: Account | None,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        headers = {"Authorization": f"Bearer {who.access_token}"} if who else {}
        async with self.session().request(
            method, self.url + path, json=body, headers=headers, params=params
        ) as resp:
            data = await resp.json(content_type=None)
            if resp.status >= 400:
                raise MatrixCallError(resp.status, data if isinstance(data, dict) else {})
            return data

    async def register(
        self, localpart: str, display: str | None = None, *, admin: bool = False
    ) -> Account:
        """A new account through the shared-secret admin API (no captcha, no e-mail)."""
        nonce = (await self.request(None, "GET", "/_synapse/admin/v1/register"))["nonce"]
        password = secrets.token_hex(12)
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "displayname": display or localpart,
            "mac": _mac(self.shared_secret, nonce, localpart, password, admin),
        }
        got = await self.request(None, "POST", "/_synapse/admin/v1/register", body)
        return Account(got["user_id"], got["access_token"], got["device_id"], display or localpart)

    def user_id(self, localpart: str) -> str:
        return f"@{localpart}:{self.server_name}"

    async def create_room(
        self,
        creator: Account,
        *,
        name: str,
        members: Sequence[Account] = (),
        power: Mapping[str, int] | None = None,
        version: str | None = None,
        kick: int | None = None,
    ) -> str:
        """A private room: ``members`` are invited and join; ``power`` is the users map of the
        power levels (in versions before 12 include the creator, or it ends at the default)."""
        body: dict[str, Any] = {
            "name": name,
            "preset": "private_chat",
            "invite": [m.user_id for m in members],
        }
        if version is not None:
            body["room_version"] = version
        override: dict[str, Any] = {}
        if power is not None:
            override["users"] = dict(power)
        if kick is not None:
            override["kick"] = kick
        if override:
            body["power_level_content_override"] = override
        room: str = (await self.request(creator, "POST", "/_matrix/client/v3/createRoom", body))[
            "room_id"
        ]
        await asyncio.gather(*(self.join(m, room) for m in members))
        return room

    async def invite(self, who: Account, room: str, user_id: str) -> None:
        await self.request(who, "POST", f"/_matrix/client/v3/rooms/{room}/invite",
                           {"user_id": user_id})  # fmt: skip

    async def join(self, who: Account, room: str) -> None:
        await self.request(who, "POST", f"/_matrix/client/v3/join/{quote(room)}", {})

    async def say(
        self,
        who: Account,
        room: str,
        text: str,
        *,
        html: str | None = None,
        mentions: Sequence[str] | None = None,
        thread: str | None = None,
        msgtype: str = "m.text",
    ) -> str:
        """Send a message as ``who``; returns its event id."""
        content: dict[str, Any] = {"msgtype": msgtype, "body": text}
        if html is not None:
            content["format"] = "org.matrix.custom.html"
            content["formatted_body"] = html
        if mentions is not None:
            content["m.mentions"] = {"user_ids": list(mentions)}
        if thread is not None:
            content["m.relates_to"] = {"rel_type": "m.thread", "event_id": thread}
        return await self.send(who, room, "m.room.message", content)

    async def send(self, who: Account, room: str, event_type: str, content: Any) -> str:
        self._txn += 1
        path = f"/_matrix/client/v3/rooms/{room}/send/{event_type}/t{time.time_ns()}.{self._txn}"
        event_id: str = (await self.request(who, "PUT", path, content))["event_id"]
        return event_id

    async def state(self, who: Account, room: str, event_type: str, key: str = "") -> Any:
        path = f"/_matrix/client/v3/rooms/{room}/state/{event_type}/{quote(key)}"
        try:
            return await self.request(who, "GET", path)
        except MatrixCallError as err:
            if err.errcode == "M_NOT_FOUND":
                return None
            raise

    async def send_state(
        self, who: Account, room: str, event_type: str, content: Any, key: str = ""
    ) -> str:
        path = f"/_matrix/client/v3/rooms/{room}/state/{event_type}/{quote(key)}"
        event_id: str = (await self.request(who, "PUT", path, content))["event_id"]
        return event_id

    async def joined(self, who: Account, room: str) -> set[str]:
        data = await self.request(who, "GET", f"/_matrix/client/v3/rooms/{room}/joined_members")
        return set(data["joined"])

    async def power_levels(self, who: Account, room: str) -> dict[str, Any]:
        found: dict[str, Any] = await self.state(who, room, "m.room.power_levels")
        return found

    async def override_ratelimit(
        self, admin: Account, user_id: str, per_second: int, burst: int
    ) -> None:
        """Slow one account down (``per_second`` 0 lifts its limit entirely)."""
        path = f"/_synapse/admin/v1/users/{quote(user_id)}/override_ratelimit"
        body = {"messages_per_second": per_second, "burst_count": burst}
        await self.request(admin, "POST", path, body)


def _mac(secret: str, nonce: str, user: str, password: str, admin: bool) -> str:
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha1)
    mac.update(b"\x00".join(p.encode() for p in (nonce, user, password)))
    mac.update(b"\x00" + (b"admin" if admin else b"notadmin"))
    return mac.hexdigest()
