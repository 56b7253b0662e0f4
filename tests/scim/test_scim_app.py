"""SCIM in the app: a deactivation through ``/scim/v2`` is one all-platform case by
``scim:<client>``, reported in each report room; ``/undo`` of it brings everything back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from bot.app import App
from bot.settings import Settings
from bot.testing.slack.workspace import SlackWorkspace
from bot.testing.symphony import SymphonyPod
from tests import conftest as symphony
from tests.scim.conftest import (
    ENTRA_DEACTIVATE,
    ENTRA_REACTIVATE,
    ENTRA_TOKEN,
    OKTA_TOKEN,
    okta_user,
)
from tests.slack import conftest as slack_kit

FRANK = symphony.FRANK
DESK_AS_SHOWN = "hJ4x-Kq_ZW9vbQ"
"""The desk's stream id as Symphony's events carry it (URL-safe base64); config may name it so
or as the client shows it (``symphony.DESK``, standard base64): both find the room's cases."""


def scim_section(**more: Any) -> dict[str, Any]:
    return {
        "listen_port": 0,
        "tokens": {"okta": OKTA_TOKEN, "entra": ENTRA_TOKEN},
        "report_rooms": {"symphony": symphony.DESK, "slack": slack_kit.DESK},
        **more,
    }


@pytest.fixture
async def app(settings_for: Callable[..., Settings], pod: SymphonyPod) -> AsyncIterator[App]:
    started = App(settings_for(scim=scim_section()))
    await started.start()
    await pod.wait_until_listening()
    yield started
    await started.stop()


def client(app: App, token: str) -> httpx.AsyncClient:
    assert app.scim is not None
    return httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{app.scim.port}/scim/v2",
        headers={"Authorization": f"Bearer {token}"},
    )


async def test_a_deactivation_offboards_everywhere_and_undo_brings_it_back(
    app: App, pod: SymphonyPod, slack: SlackWorkspace
) -> None:
    async with client(app, ENTRA_TOKEN) as entra:
        uid = (await entra.post("/Users", json=okta_user())).json()["id"]
        off = await entra.patch(f"/Users/{uid}", json=ENTRA_DEACTIVATE)
        assert off.status_code == 200, off.text
    on_symphony = (await pod.next_message(symphony.DESK, timeout=30)).text
    on_slack = (await slack.next_message(slack_kit.DESK, timeout=30)).plain
    for text in (on_symphony, on_slack):
        assert "offboarding bob@example.com on 2 platforms" in text, text
        assert "scim:entra" in text, text
    case = int(on_symphony.split("case ")[1].split(":")[0])
    assert symphony.BOB not in pod.room(symphony.DESK).members
    assert symphony.BOB not in pod.room(symphony.SOLO).members
    assert slack_kit.BOB not in slack.members(slack_kit.DESK)
    assert slack_kit.BOB not in slack.members(slack_kit.SECRET)
    assert app.store is not None
    (row,) = await app.store.audit(case=case)
    assert row.caller_id == "scim:entra"

    # Reactivation re-adds nothing; /undo of the case is the way back.
    async with client(app, ENTRA_TOKEN) as entra:
        assert (await entra.patch(f"/Users/{uid}", json=ENTRA_REACTIVATE)).status_code == 200
    assert symphony.BOB not in pod.room(symphony.DESK).members
    desk = symphony.Room(pod, symphony.DESK)
    undone = await desk.say(FRANK, f"/undo {case}")
    assert "undo" in undone.text.lower(), undone.text
    assert symphony.BOB in pod.room(symphony.DESK).members
    assert symphony.BOB in pod.room(symphony.SOLO).members
    assert slack_kit.BOB in slack.members(slack_kit.DESK)
    assert slack_kit.BOB in slack.members(slack_kit.SECRET)


async def test_with_confirm_by_the_case_waits_for_a_confirm(
    settings_for: Callable[..., Settings], pod: SymphonyPod, slack: SlackWorkspace
) -> None:
    app = App(settings_for(scim=scim_section(confirm_by=["frank@example.com"])))
    await app.start()
    try:
        await pod.wait_until_listening()
        async with client(app, OKTA_TOKEN) as okta:
            uid = (await okta.post("/Users", json=okta_user())).json()["id"]
            await okta.delete(f"/Users/{uid}")
        plan = (await pod.next_message(symphony.DESK, timeout=30)).text
        assert "/confirm" in plan, plan
        assert symphony.BOB in pod.room(symphony.DESK).members
        assert slack_kit.BOB in slack.members(slack_kit.DESK)
        case = int(plan.split("case ")[1].split(":")[0])
        desk = symphony.Room(pod, symphony.DESK)
        await desk.say(FRANK, f"/confirm {case}")
        done = (await pod.next_message(symphony.DESK, timeout=30)).text
        assert "offboarding bob@example.com on 2 platforms" in done, done
        assert symphony.BOB not in pod.room(symphony.DESK).members
        assert slack_kit.BOB not in slack.members(slack_kit.DESK)
    finally:
        await app.stop()
