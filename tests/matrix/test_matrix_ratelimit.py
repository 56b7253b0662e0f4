"""M_LIMIT_EXCEEDED: kickbot waits retry_after_ms and retries; nothing lost or doubled."""

from __future__ import annotations

import json

from tests.matrix.conftest import World


async def test_rate_limited_calls_are_paced_and_each_happens_once(world: World) -> None:
    # One action at a time, one more per second, for the bot account only.
    await world.hs.override_ratelimit(world.admin, world.bot.user_id, per_second=1, burst=1)
    await world.start_bot()
    reply = await world.ask(world.alice, f"!kick {world.bob.user_id} {world.dave.user_id} flood")
    assert reply.body.splitlines()[0].endswith("2 done")
    assert "Removed Bob — reason: flood" in reply.body
    assert "Removed Dave — reason: flood" in reply.body
    assert not {world.bob.user_id, world.dave.user_id} & await world.joined()

    limited = [c for c in world.proxy.calls if c.status == 429]
    assert limited, "the homeserver rate-limited the bot"
    for c in limited:
        body = json.loads(c.response)
        assert body["errcode"] == "M_LIMIT_EXCEEDED"
        assert body["retry_after_ms"] > 0
    kicks = [c for c in world.proxy.calls if c.path.endswith("/kick")]
    assert [c.status for c in kicks if c.status != 429] == [200, 200]
    sends = [c for c in world.proxy.calls if "/send/m.room.message/" in c.path]
    assert [c.status for c in sends if c.status != 429] == [200]
    assert len({c.path for c in sends}) == 1  # retried with the same transaction id
    assert len(world.watcher.replies_to(reply.in_reply_to or "")) == 1
