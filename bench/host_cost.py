"""Cost to host: start-up time to ready, and resident memory idle and under load, of kickbot in
its own process (bench/host_child.py), with only Symphony enabled and with every platform whose
double runs here (Symphony, Slack, Rocket.Chat, Chime), beside the same SDK modules imported by
a bare ``python -c``.

- ready: from spawning the process to the App started *and* the pod having seen its first
  datafeed read;
- RSS idle: ``VmRSS`` ``idle_seconds`` (1 s) after ready; under load: the highest ``VmRSS``
  sampled while ``commands`` single /kick commands in ``rooms`` rooms go through (the
  throughput workload);
- SDK baseline: a fresh interpreter importing exactly the SDK modules kickbot had loaded (the
  list the child reports), measured in the same run; kickbot's own = RSS idle - baseline; and,
  to say where kickbot's own share goes, each of its own dependencies imported alone (the
  modules of it the child had loaded) minus a bare interpreter.
The child also reports which SDK packages it loaded: a platform not enabled must not appear.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from symphony_world import ALICE, BenchPod, World, mention

from bot.testing.chime_api import ChimeDouble
from bot.testing.rocketchat_api import RocketChatServer
from bot.testing.slack_api import SlackWorkspace

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SDK_PACKAGES = frozenset(
    {"symphony", "slack_bolt", "slack_sdk", "aiohttp", "httpx", "botocore", "nio", "aiolimiter"}
)
"""The platforms' SDKs and the HTTP clients the adapters use: the baseline kickbot is held to."""
OWN_DEPENDENCIES = (
    "sqlalchemy",
    "alembic",
    "asyncpg",
    "aiosqlite",
    "pydantic",
    "structlog",
    "yaml",
    "click",
)
"""kickbot's own dependencies (pyproject), whose import cost is shown one by one."""
PLATFORM_SDKS = {
    "symphony": {"symphony"},
    "slack": {"slack_bolt", "slack_sdk"},
    "rocketchat": {"httpx"},
    "chime": {"botocore"},
    "matrix": {"nio"},
}


def rss_kib(pid: int | str = "self", field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def baseline_kib(modules: list[str]) -> int:
    """RSS of a fresh interpreter after importing ``modules`` (each on its own; one that will
    not import alone is skipped)."""
    probe = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    try: importlib.import_module(m)\n"
        "    except Exception: pass\n"
        "print(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


@contextlib.asynccontextmanager
async def doubles(
    mode: str, tmp: Path
) -> AsyncIterator[tuple[BenchPod, dict[str, Any], dict[str, str]]]:
    """The started doubles for ``mode``, the settings for the child and its environment."""
    async with contextlib.AsyncExitStack() as stack:
        pod = BenchPod()
        pod.add_user(ALICE, "Alice", email="alice@example.com", username="alice")
        await stack.enter_async_context(pod)
        key = pod.write_private_key(tmp / "bot.pem")
        data: dict[str, Any] = {
            "store": f"sqlite:///{tmp}/{mode}.db",
            "symphony": pod.bdk_config(key),
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        if mode == "all":
            slack = await stack.enter_async_context(SlackWorkspace())
            data["slack"] = {
                "mode": "http",
                "bot_token": slack.bot_token,
                "signing_secret": slack.signing_secret,
                "api_base_url": slack.api_url,
                "listen_host": "127.0.0.1",
                "listen_port": 0,
            }
            rc = RocketChatServer(bot_user_id="kickbot-id", bot_username="kickbot")
            await stack.enter_async_context(rc)
            data["rocketchat"] = rc.bot_config()
            chime = await stack.enter_async_context(ChimeDouble())
            data["chime"] = chime.config()
            env.update(chime.credentials_env(), AWS_CONFIG_FILE=os.devnull)
        yield pod, data, env


async def _load(w: World, rooms: int, commands: int, pid: int) -> tuple[float, int]:
    per_room = max(commands // rooms, 1)
    members = w.add_members(per_room)
    ids = [w.add_room(members) for _ in range(rooms)]
    peak = rss_kib(pid)
    started = time.perf_counter()
    said = [w.say(room, f"/kick {mention(uid)}") for uid in members for room in ids]
    waiting = asyncio.ensure_future(asyncio.gather(*(w.answer(c, 600) for c in said)))
    while not waiting.done():
        peak = max(peak, rss_kib(pid))
        await asyncio.wait([waiting], timeout=0.05)
    await waiting
    return len(said) / (time.perf_counter() - started), max(peak, rss_kib(pid, "VmHWM"))


async def one_mode(
    mode: str, rooms: int, commands: int, breakdown: bool, idle_seconds: float
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        async with doubles(mode, tmp) as (pod, data, env):
            config = tmp / "kickbot.json"
            config.write_text(json.dumps(data))
            env["PYTHONPATH"] = str(REPO)
            started = time.perf_counter()
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                str(HERE / "host_child.py"),
                str(config),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env=env,
            )
            assert child.stdout is not None
            assert child.stdin is not None
            try:
                line = await asyncio.wait_for(child.stdout.readline(), 120)
                report = json.loads(line)
                await pod.wait_until_listening(timeout=60)
                ready = time.perf_counter() - started
                await asyncio.sleep(idle_seconds)
                idle = rss_kib(child.pid)
                rate, peak = await _load(World(pod), rooms, commands, child.pid)
            finally:
                child.stdin.write(b"stop\n")
                await child.stdin.drain()
                await asyncio.wait_for(child.wait(), 60)
            pod.assert_no_violations()
    everything: list[str] = report["modules"]
    modules = [m for m in everything if m.split(".")[0] in SDK_PACKAGES]
    loaded = sorted({m.split(".")[0] for m in modules})
    enabled = sorted(k for k in data if k in PLATFORM_SDKS)
    foreign = sorted(
        pkg
        for name, pkgs in PLATFORM_SDKS.items()
        if name not in enabled
        for pkg in pkgs
        if pkg in loaded
    )
    base = baseline_kib(modules)
    dependencies: dict[str, float] = {}
    if breakdown:
        bare = baseline_kib([])
        dependencies = {
            dep: (baseline_kib(mods) - bare) / 1024
            for dep in OWN_DEPENDENCIES
            if (mods := [m for m in everything if m.split(".")[0] == dep])
        }
    return {
        "platforms": enabled,
        "ready_s": ready,
        "rss_idle_mib": idle / 1024,
        "rss_load_peak_mib": peak / 1024,
        "load_commands_per_s": rate,
        "sdk_baseline_mib": base / 1024,
        "own_idle_mib": (idle - base) / 1024,
        "own_load_mib": (peak - base) / 1024,
        "own_dependencies_alone_mib": dependencies,
        "sdk_packages_loaded": loaded,
        "sdks_of_disabled_platforms_loaded": foreign,
    }


async def measure(
    rooms: int,
    commands: int,
    modes: tuple[str, ...],
    breakdown: bool = True,
    idle_seconds: float = 1.0,
) -> dict[str, Any]:
    """``modes``: "symphony" (only Symphony enabled) and/or "all"; ``breakdown``: measure each
    of kickbot's own dependencies too (one interpreter each)."""
    result: dict[str, Any] = {"bare_python_mib": baseline_kib([]) / 1024}
    for mode in modes:
        result[mode] = await one_mode(mode, rooms, commands, breakdown, idle_seconds)
    return result
