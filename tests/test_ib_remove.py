from __future__ import annotations

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOB, DAVE, ERIN, FRANK, GROUP, Room, changes


async def test_named_admin_removes_with_per_user_results(pod: SymphonyPod, desk: Room) -> None:
    reply = await desk.say(FRANK, f"/ib-remove {GROUP} @bob erin@example.com @alice")
    lines = reply.text.splitlines()
    assert "Removed @Bob Member from IB group" in lines[1]
    assert "@Erin Departed's account is deactivated" in lines[2]
    assert "Admin Portal" in lines[2]
    assert "Not removed @Alice Owner from the IB group: the platform said" in lines[3]
    members = pod.group(GROUP).members
    assert BOB not in members
    assert ERIN in members
    assert DAVE in members
    # One bulk call, without the deactivated user.
    calls = pod.calls("POST", r"/pod/v1/admin/group/.*/membership/remove")
    assert len(calls) == 1
    assert calls[0].body == [BOB, ALICE]


async def test_room_owner_is_not_entitled_by_default(pod: SymphonyPod, desk: Room) -> None:
    reply = await desk.say(ALICE, f"/ib-remove {GROUP} @dave")
    assert "only users named in policy.commands.ib-remove.users may" in reply.text
    assert changes(pod) == []
    assert pod.calls("GET", r"/pod/v3/users") == []


async def test_bot_without_user_provisioning_gets_403(pod: SymphonyPod, desk: Room) -> None:
    pod.bot_roles.discard("USER_PROVISIONING")
    reply = await desk.say(FRANK, f"/ib-remove {GROUP} @dave")
    assert "needs the User Provisioning role" in reply.text
    assert DAVE in pod.group(GROUP).members


async def test_group_id_is_required(pod: SymphonyPod, desk: Room) -> None:
    reply = await desk.say(FRANK, "/ib-remove @dave")
    assert "Expected the group-id here, not a person." in reply.text
    assert "Usage: /ib-remove <group-id> @user [@user …]" in reply.text
