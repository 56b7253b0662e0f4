"""scim2-tester, the SCIM conformance checker, against `kickbot run` with the endpoint enabled:
every check that applies to what kickbot serves passes (docs/scim.md lists what is not served,
and why: those checks are not run, as the server's discovery answers say)."""

from __future__ import annotations

import asyncio
import collections
from pathlib import Path

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import CheckResult, Status, check_server

from bot.testing.symphony import SymphonyPod
from tests.scim.conftest import OKTA_TOKEN
from tests.scim.process import kickbot_run, ready
from tests.scim.test_scim_app import DESK_AS_SHOWN

PASSED = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}


def check(base: str) -> list[CheckResult]:
    with Client(base_url=base, headers={"Authorization": f"Bearer {OKTA_TOKEN}"}) as http:
        return check_server(SyncSCIMClient(http))


async def test_scim2_tester_passes_against_kickbot_run(pod: SymphonyPod, tmp_path: Path) -> None:
    key = pod.write_private_key(tmp_path / "bot.pem")
    config = {
        "store": f"sqlite:///{tmp_path}/kickbot.db",
        "symphony": pod.bdk_config(key),
        "scim": {"tokens": {"okta": OKTA_TOKEN}, "report_rooms": {"symphony": DESK_AS_SHOWN}},
    }
    async with kickbot_run(config, tmp_path) as kickbot:
        await ready(kickbot, OKTA_TOKEN)
        results = await asyncio.to_thread(check, kickbot.base)
        failed = [
            f"{r.status.name} {r.title}: {r.reason}" for r in results if r.status not in PASSED
        ]
        assert failed == [], "\n".join(failed)
        counted = collections.Counter(tag for r in results for tag in r.tags)
        # Every kind of check ran: discovery, each CRUD operation, each PATCH operation.
        for tag in ("discovery", "crud:create", "crud:read", "crud:update", "crud:delete",
                    "patch:add", "patch:remove", "patch:replace"):  # fmt: skip
            assert counted[tag] > 0, (tag, counted)
        assert len(results) >= 100
        assert await kickbot.stop() == 0, kickbot.output()
    assert "Traceback" not in kickbot.output()
