"""Cost to host: start-up time to ready, and resident memory idle and under load, of kickbot in
its own process (bench/host_child.py), with only Symphony enabled and with every platform whose
double runs here (Symphony, Slack, Rocket.Chat, Chime), beside the same SDK modules imported by
a bare ``python -c``.

- ready: from spawning the process to the App started *and* the pod having seen its first
  datafeed read;
- RSS idle: ``VmRSS`` ``idle_seconds`` (1 s) after ready; under load: the highest ``VmRSS``
  sampled while ``commands`` single /kick commands in ``rooms`` rooms go through (the
  throughput workload);
- SDK running (Symphony only): bench/host_direct.py, the BDK reading its datafeed and making the
  calls of a /kick under the same load, with nothing of kickbot; kickbot's own over it too;
- SDK baseline: a fresh interpreter importing exactly the SDK modules kickbot had loaded (the
  list the child reports), measured in the same run; kickbot's own = RSS idle - baseline, split
  into its imports (a fresh interpreter importing every module the child had loaded, minus the
  baseline) and what it holds at run time (the rest); and,
  to say where kickbot's own share goes, each of its own dependencies imported alone (the
  modules of it the child had loaded) minus a bare interpreter.
The child also reports which SDK packages it loaded: a platform not enabled must not appear.

The child runs on a host's install: a venv (``bench/.host-venv``, made once and again when
pyproject.toml changes; kickbot reinstalled in it when its code changes) with kickbot and its
platform extras only, none of the dev tools (one of them brings ``rich``, which structlog
imports when it is there); ``python`` says which interpreter to use instead (the smoke test's:
the running one).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot_process import bot_process, child_env
from symphony_world import ALICE, BenchPod, World, mention

from bot.platforms import PLUGINS
from bot.testing.chime.double import ChimeDouble
from bot.testing.rocketchat.server import RocketChatServer
from bot.testing.slack.config import kickbot_section
from bot.testing.slack.workspace import SlackWorkspace

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SDK_PACKAGES = PLUGINS.sdk_modules()
"""The platforms' SDKs and the HTTP clients the adapters use: the baseline kickbot is held to."""
OWN_DEPENDENCIES = (
    "sqlalchemy",
    "alembic",
    "sqlite3",
    "psycopg",
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


HOST_VENV = HERE / ".host-venv"
HOST_EXTRAS = "symphony,slack,rocketchat,chime"


def _installed_source() -> str:
    """A digest of what a host's install copies: pyproject.toml and kickbot's packages."""
    digest = hashlib.sha256((REPO / "pyproject.toml").read_bytes())
    for package in ("bot", "handlers"):
        for path in sorted((REPO / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(REPO)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def host_python() -> str:
    """The interpreter of a host's install of kickbot: made when pyproject.toml changes (~20 s),
    kickbot itself installed again when its code does (the install is a copy, not a link)."""
    python = HOST_VENV / "bin" / "python"
    deps_stamp, code_stamp = HOST_VENV / "pyproject.sha256", HOST_VENV / "source.sha256"
    deps = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()
    code = _installed_source()
    pip = [str(python), "-m", "pip", "install", "-q"]
    if not python.exists() or not deps_stamp.exists() or deps_stamp.read_text() != deps:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(HOST_VENV)], check=True)
        subprocess.run([*pip, f"{REPO}[{HOST_EXTRAS}]"], check=True)
        deps_stamp.write_text(deps)
    elif not code_stamp.exists() or code_stamp.read_text() != code:
        subprocess.run([*pip, "--no-deps", "--force-reinstall", str(REPO)], check=True)
    code_stamp.write_text(code)
    return str(python)


def baseline_kib(modules: list[str], python: str = sys.executable) -> int:
    """RSS of a fresh interpreter after importing ``modules`` (each on its own; one that will
    not import alone is skipped)."""
    probe = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    try: importlib.import_module(m)\n"
        "    except Exception: pass\n"
        "print(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])\n"
    )
    out = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True)
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
        env = child_env()
        if mode == "all":
            slack = await stack.enter_async_context(SlackWorkspace())
            data["slack"] = kickbot_section(slack)
            rc = RocketChatServer(bot_user_id="kickbot-id", bot_username="kickbot")
            await stack.enter_async_context(rc)
            data["rocketchat"] = rc.bot_config()
            chime = await stack.enter_async_context(ChimeDouble())
            data["chime"] = chime.config()
            env = child_env({**chime.credentials_env(), "AWS_CONFIG_FILE": os.devnull})
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
    python: str, mode: str, rooms: int, commands: int, breakdown: bool, idle_seconds: float
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        async with doubles(mode, tmp) as (pod, data, env):
            config = tmp / "kickbot.json"
            config.write_text(json.dumps(data))
            # The first start creates the store (schema migrations: Alembic is loaded); a host
            # restarts against its store far more often, so the figures below are a restart's.
            started = time.perf_counter()
            async with bot_process(config, env, python=python) as (child, _):
                await pod.wait_until_listening(timeout=60)
                first_ready = time.perf_counter() - started
                await asyncio.sleep(idle_seconds)
                first_idle = rss_kib(child.pid)
            started = time.perf_counter()
            async with bot_process(config, env, python=python) as (child, report):
                await pod.wait_until_listening(timeout=60, readers=2)
                ready = time.perf_counter() - started
                await asyncio.sleep(idle_seconds)
                idle = rss_kib(child.pid)
                rate, peak = await _load(World(pod), rooms, commands, child.pid)
            direct: dict[str, float] = {}
            if mode == "symphony":
                async with bot_process(
                    config, env, python=python, script=HERE / "host_direct.py"
                ) as (child, _):
                    await pod.wait_until_listening(timeout=60, readers=3)
                    await asyncio.sleep(idle_seconds)
                    direct["idle"] = rss_kib(child.pid)
                    direct["rate"], direct["peak"] = await _load(
                        World(pod), rooms, commands, child.pid
                    )
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
    base = baseline_kib(modules, python)
    imported = baseline_kib(everything, python)
    dependencies: dict[str, float] = {}
    if breakdown:
        bare = baseline_kib([], python)
        dependencies = {
            dep: (baseline_kib(mods, python) - bare) / 1024
            for dep in OWN_DEPENDENCIES
            if (mods := [m for m in everything if m.split(".")[0] == dep])
        }
    return {
        "platforms": enabled,
        "first_start_ready_s": first_ready,
        "first_start_rss_idle_mib": first_idle / 1024,
        "ready_s": ready,
        "rss_idle_mib": idle / 1024,
        "rss_load_peak_mib": peak / 1024,
        "load_commands_per_s": rate,
        "sdk_baseline_mib": base / 1024,
        "own_idle_mib": (idle - base) / 1024,
        "own_load_mib": (peak - base) / 1024,
        "own_imports_mib": (imported - base) / 1024,
        "own_runtime_idle_mib": (idle - imported) / 1024,
        "own_dependencies_alone_mib": dependencies,
        "sdk_running": (
            {
                "rss_idle_mib": direct["idle"] / 1024,
                "rss_load_peak_mib": direct["peak"] / 1024,
                "load_commands_per_s": direct["rate"],
                "own_idle_mib": (idle - direct["idle"]) / 1024,
                "own_load_mib": (peak - direct["peak"]) / 1024,
            }
            if direct
            else None
        ),
        "sdk_packages_loaded": loaded,
        "sdks_of_disabled_platforms_loaded": foreign,
    }


async def measure(
    rooms: int,
    commands: int,
    modes: tuple[str, ...],
    breakdown: bool = True,
    idle_seconds: float = 1.0,
    python: str | None = None,
) -> dict[str, Any]:
    """``modes``: "symphony" (only Symphony enabled) and/or "all"; ``breakdown``: measure each
    of kickbot's own dependencies too (one interpreter each); ``python``: the interpreter to run
    kickbot on (default: a host's install, :func:`host_python`)."""
    interpreter: str = python if python is not None else await asyncio.to_thread(host_python)
    result: dict[str, Any] = {
        "bare_python_mib": baseline_kib([], interpreter) / 1024,
        "python": interpreter,
    }
    for mode in modes:
        result[mode] = await one_mode(interpreter, mode, rooms, commands, breakdown, idle_seconds)
    return result
