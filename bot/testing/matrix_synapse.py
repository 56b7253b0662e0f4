"""A real Synapse homeserver on 127.0.0.1 for tests and ``kickbot demo --platform matrix``.

Synapse pins its own dependencies, so it lives in a separate virtualenv (``ensure_synapse``
creates it once with pip). ``SynapseServer`` runs it (SQLite, a free port, no federation,
registration by shared secret, relaxed rate limits); ``Homeserver`` is a small client-server API
helper for the people in a test (register, create rooms with power levels, say things);
``Watcher`` follows one account's ``/sync`` so a test can await the bot's reply; and
``RecordingProxy`` sits between kickbot and Synapse and logs every request kickbot makes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

import aiohttp
from aiohttp import web

SYNAPSE_REQUIREMENT = "matrix-synapse==1.163.*"
SYNAPSE_SERIES = "1.163."
_LISTENING = re.compile(r"Synapse now listening on TCP port (\d+)")


class SynapseUnavailable(RuntimeError):
    """Synapse could not be installed or started here."""


# --- installing ---------------------------------------------------------------------------------


def default_venv() -> Path:
    if env := os.environ.get("KICKBOT_SYNAPSE_VENV"):
        return Path(env)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "kickbot" / "synapse-venv"


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _installed(venv: Path) -> bool:
    py = _python(venv)
    if not py.exists():
        return False
    done = subprocess.run(
        [str(py), "-c", "import synapse; print(synapse.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0 and done.stdout.strip().startswith(SYNAPSE_SERIES)


def ensure_synapse(venv: Path | None = None, out: TextIO | None = None) -> Path:
    """The Python of a virtualenv holding Synapse, installed with pip if missing."""
    venv = (venv or default_venv()).absolute()
    venv.parent.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(str(venv).encode()).hexdigest()[:12]
    with open(Path(tempfile.gettempdir()) / f"kickbot-synapse-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs must not install into one venv at once
        if _installed(venv):
            return _python(venv)
        if out is not None:
            print(f"Installing {SYNAPSE_REQUIREMENT} into {venv} (once)…", file=out, flush=True)
        steps = [
            [sys.executable, "-m", "venv", "--clear", str(venv)],
            [str(_python(venv)), "-m", "pip", "install", "-q", SYNAPSE_REQUIREMENT],
        ]
        for cmd in steps:
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
                raise SynapseUnavailable(f"{' '.join(cmd)} failed:\n" + "\n".join(tail))
        if not _installed(venv):
            raise SynapseUnavailable(f"Synapse is still not importable from {venv}")
        return _python(venv)


# --- running ------------------------------------------------------------------------------------

_LOG_CONFIG = """\
version: 1
formatters:
  brief: {format: '%(asctime)s %(name)s %(levelname)s %(message)s'}
handlers:
  console: {class: logging.StreamHandler, formatter: brief}
loggers:
  synapse.app._base: {level: INFO}
root: {level: WARNING, handlers: [console]}
disable_existing_loggers: false
"""


def _limit(per_second: float, burst: float) -> dict[str, float]:
    return {"per_second": per_second, "burst_count": burst}


class SynapseServer:
    """One Synapse process. Start and stop are synchronous so a pytest session fixture (or a
    thread) can own it; everything else talks HTTP."""

    def __init__(
        self,
        python: Path,
        workdir: Path,
        *,
        server_name: str = "kickbot.test",
        message_rate: tuple[float, float] = (1000.0, 1000.0),
    ):
        self.python = python
        self.workdir = workdir
        self.server_name = server_name
        self.message_rate = message_rate
        """rc_message (per second, burst) for everyone; one account can be slowed down with
        ``Homeserver.override_ratelimit`` to see M_LIMIT_EXCEEDED."""
        self.shared_secret = secrets.token_hex(16)
        self.port: int | None = None
        self.startup_seconds: float | None = None
        self.log_path = workdir / "homeserver.log"
        self._proc: subprocess.Popen[str] | None = None
        self._lines: deque[str] = deque(maxlen=200)
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("Synapse is not started")
        return f"http://127.0.0.1:{self.port}"

    def _write_config(self) -> Path:
        w = self.workdir
        w.mkdir(parents=True, exist_ok=True)
        seed = base64.b64encode(os.urandom(32)).decode().rstrip("=")
        (w / "signing.key").write_text(f"ed25519 a_kb {seed}\n")
        (w / "log.yaml").write_text(_LOG_CONFIG)
        fast = _limit(1000.0, 1000.0)
        config = {
            "server_name": self.server_name,
            "pid_file": str(w / "homeserver.pid"),
            "listeners": [
                {
                    "port": 0,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(w / "homeserver.db")}},
            "log_config": str(w / "log.yaml"),
            "media_store_path": str(w / "media"),
            "signing_key_path": str(w / "signing.key"),
            "registration_shared_secret": self.shared_secret,
            "report_stats": False,
            "trusted_key_servers": [],
            "federation_domain_whitelist": [],
            "suppress_key_server_warning": True,
            "bcrypt_rounds": 4,
            "enable_metrics": False,
            "presence": {"enabled": False},
            "rc_message": _limit(*self.message_rate),
            "rc_registration": fast,
            "rc_login": {"address": fast, "account": fast, "failed_attempts": fast},
            "rc_joins": {"local": fast, "remote": fast},
            "rc_joins_per_room": fast,
            "rc_invites": {"per_room": fast, "per_user": fast, "per_issuer": fast},
            "rc_room_creation": fast,
            "rc_admin_redaction": fast,
        }
        path = w / "homeserver.yaml"
        path.write_text(json.dumps(config, indent=2))  # YAML is a superset of JSON
        return path

    def start(self, timeout: float = 90.0) -> None:
        config = self._write_config()
        began = time.monotonic()
        self._proc = subprocess.Popen(
            [str(self.python), "-m", "synapse.app.homeserver", "-c", str(config)],
            cwd=self.workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._read, name="synapse-log", daemon=True).start()
        if not self._ready.wait(timeout) or self.port is None:
            self.stop()
            tail = "\n".join(self._lines)
            raise SynapseUnavailable(f"Synapse did not start within {timeout:.0f}s:\n{tail}")
        self.startup_seconds = time.monotonic() - began

    def _read(self) -> None:
        assert self._proc is not None
        assert self._proc.stdout is not None
        with open(self.log_path, "a", encoding="utf-8") as log:
            for line in self._proc.stdout:
                log.write(line)
                log.flush()
                self._lines.append(line.rstrip())
                if self.port is None and (m := _LISTENING.search(line)):
                    self.port = int(m.group(1))
                    self._ready.set()
        self._ready.set()  # exited: wake a waiting start()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)

    def __enter__(self) -> SynapseServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- the people's side ----------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class Seen:
    """A message event as a room member received it."""

    room: str
    event: Mapping[str, Any]

    @property
    def sender(self) -> str:
        return str(self.event.get("sender"))

    @property
    def event_id(self) -> str:
        return str(self.event.get("event_id"))

    @property
    def content(self) -> Mapping[str, Any]:
        c = self.event.get("content")
        return c if isinstance(c, dict) else {}

    @property
    def body(self) -> str:
        return str(self.content.get("body", ""))

    @property
    def html(self) -> str:
        return str(self.content.get("formatted_body", ""))

    @property
    def relates_to(self) -> Mapping[str, Any]:
        r = self.content.get("m.relates_to")
        return r if isinstance(r, dict) else {}

    @property
    def in_reply_to(self) -> str | None:
        r = self.relates_to.get("m.in_reply_to")
        return str(r.get("event_id")) if isinstance(r, dict) else None


class Watcher:
    """Follows one account's ``/sync`` (long-poll) so a test can await messages."""

    def __init__(self, hs: Homeserver, who: Account):
        self.hs = hs
        self.who = who
        self.seen: list[Seen] = []
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        first = await self._sync(None, 0)  # from now on: earlier history is not of interest
        self._task = asyncio.create_task(self._run(first["next_batch"]), name="watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def __aenter__(self) -> Watcher:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _sync(self, since: str | None, timeout_ms: int) -> Any:
        params = {"timeout": str(timeout_ms), "filter": '{"room":{"timeline":{"limit":100}}}'}
        if since:
            params["since"] = since
        return await self.hs.request(self.who, "GET", "/_matrix/client/v3/sync", params=params)

    async def _run(self, since: str) -> None:
        while True:
            data = await self._sync(since, 30_000)
            since = data["next_batch"]
            new = [
                Seen(room, ev)
                for room, info in data.get("rooms", {}).get("join", {}).items()
                for ev in info.get("timeline", {}).get("events", [])
                if ev.get("type") == "m.room.message"
            ]
            if new:
                async with self._changed:
                    self.seen.extend(new)
                    self._changed.notify_all()

    async def wait_for(self, match: Callable[[Seen], bool], timeout: float = 20.0) -> Seen:  # noqa: ASYNC109
        async def find() -> Seen:
            async with self._changed:
                while True:
                    for s in self.seen:
                        if match(s):
                            return s
                    await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)

    async def reply_to(self, event_id: str, timeout: float = 20.0) -> Seen:  # noqa: ASYNC109
        """The first message answering ``event_id`` (``m.in_reply_to``)."""
        return await self.wait_for(lambda s: s.in_reply_to == event_id, timeout)

    def replies_to(self, event_id: str) -> list[Seen]:
        return [s for s in self.seen if s.in_reply_to == event_id]

    def from_user(self, user_id: str) -> list[Seen]:
        return [s for s in self.seen if s.sender == user_id]


# --- between kickbot and Synapse ------------------------------------------------------------


@dataclass(slots=True)
class ProxiedCall:
    method: str
    path: str
    query: str
    body: bytes
    status: int | None = None
    response: bytes = b""
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def changes_state(self) -> bool:
        """Membership or state changes (kick, ban, invite, power levels, …)."""
        p = self.path
        return (self.method == "POST" and re.search(r"/rooms/[^/]+/(kick|ban|invite)$", p)
                is not None) or (self.method == "PUT" and "/state/" in p)  # fmt: skip


@dataclass(slots=True)
class _Loss:
    match: Callable[[ProxiedCall], bool]
    status: int
    reset: bool
    remaining: int


class RecordingProxy:
    """An HTTP proxy in front of Synapse that logs every request passing through it; with
    ``lose_next`` it passes a request on and loses Synapse's answer (an answer lost after
    acting)."""

    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.calls: list[ProxiedCall] = []
        self._losses: list[_Loss] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        # A long-poll /sync that kickbot abandons is cancelled upstream too, and stop is quick.
        self._runner = web.AppRunner(
            app, handle_signals=False, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = int(self._runner.addresses[0][1])
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None), auto_decompress=False
        )
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> RecordingProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def lose_next(
        self,
        match: Callable[[ProxiedCall], bool],
        *,
        status: int = 500,
        reset: bool = False,
        times: int = 1,
    ) -> None:
        """The next ``times`` requests that ``match`` reach Synapse, which acts; its answer is
        replaced by a ``status`` error (``M_UNKNOWN``), or with ``reset`` by none at all (the
        connection is reset)."""
        self._losses.append(_Loss(match, status, reset, times))

    def _loss(self, call: ProxiedCall) -> _Loss | None:
        for loss in self._losses:
            if loss.remaining > 0 and loss.match(call):
                loss.remaining -= 1
                return loss
        return None

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        call = ProxiedCall(request.method, request.path, request.query_string, body)
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
        }
        async with self._session.request(
            request.method, self.upstream + request.path_qs, data=body, headers=headers
        ) as up:
            data = await up.read()
            out = web.Response(status=up.status, body=data)
            for k, v in up.headers.items():
                if k.lower() not in ("content-length", "transfer-encoding", "connection", "date",
                                     "server"):  # fmt: skip
                    out.headers[k] = v
        if (loss := self._loss(call)) is not None:
            if loss.reset and request.transport is not None:
                request.transport.abort()
            lost = {"errcode": "M_UNKNOWN", "error": "answer lost by the test proxy"}
            out = web.json_response(lost, status=loss.status)
        async with self._changed:
            call.status, call.response = up.status, data
            call.done.set()
            self._changed.notify_all()
        return out

    async def wait_for(
        self,
        match: Callable[[ProxiedCall], bool],
        count: int = 1,
        timeout: float = 20.0,  # noqa: ASYNC109
    ) -> list[ProxiedCall]:
        """Wait until ``count`` finished calls match."""

        async def find() -> list[ProxiedCall]:
            async with self._changed:
                while True:
                    found = [c for c in self.calls if c.status is not None and match(c)]
                    if len(found) >= count:
                        return found
                    await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)

    async def wait_until_syncing(self, timeout: float = 20.0) -> None:  # noqa: ASYNC109
        """Until kickbot's long-poll ``/sync`` (one with ``since``) is waiting at the server."""

        async def find() -> None:
            async with self._changed:
                while not any(
                    c.path.endswith("/sync") and "since=" in c.query and c.status is None
                    for c in self.calls
                ):
                    await self._changed.wait()

        await asyncio.wait_for(find(), timeout)

    def changes(self) -> list[str]:
        """Every state-changing call kickbot made, as "METHOD path -> status"."""
        return [f"{c.method} {c.path} -> {c.status}" for c in self.calls if c.changes_state]
