"""Policy e-mail entries on Symphony, whose pod finds people by e-mail: an entry it does not
find belongs to nobody, so it holds nobody back (fail closed only where addresses are hidden:
see tests/rocketchat/test_policy_identity.py and tests/slack/test_policy_identity.py)."""

from __future__ import annotations

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, SOLO, ConfigMaker, running


async def test_an_address_nobody_has_blocks_nobody_on_symphony(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    # The pod finds people by e-mail: an entry it does not find belongs to nobody, so members
    # chosen from the member list (which shows no addresses) are not held back by it.
    policy = {"protected": ["nobody@elsewhere.example"], "deny": ["gone@example.com"]}
    async with running(pod, settings_for(policy=policy)):
        pod.say(ALICE, SOLO, "/kick --all-except-owners")
        reply = (await pod.next_message(SOLO)).text
    assert "cannot tell" not in reply
    assert "Would remove @Bob Member." in reply
