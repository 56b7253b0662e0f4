"""Rate limits: kickbot paces itself per endpoint, and on a 429 waits for X-RateLimit-Reset and
tries again: every change is made exactly once, nothing is lost."""

from __future__ import annotations

from bot.testing.rocketchat.server import RocketChatServer
from tests.rocketchat.conftest import ALICE, BOB, DAVE, DESK, ConfigMaker, Room, start_bot, visible

WINDOW = 0.5
EXTRA = ["u-hank", "u-ivy", "u-jo"]


def crowd(server: RocketChatServer) -> list[str]:
    """Three more plain members of the desk; returns every kickable member."""
    for uid in EXTRA:
        server.add_user(uid, uid.removeprefix("u-"))
        server.room(DESK).add(uid)
    return [BOB, DAVE, *EXTRA]


async def test_server_limiter_429s_are_waited_out_and_each_kick_happens_once(
    server: RocketChatServer, settings_for: ConfigMaker
) -> None:
    server.rate_limit(calls=2, seconds=WINDOW)  # the server's limiter, in a short window
    app = await start_bot(settings_for({"rate_limit_calls": 0}), server)  # no pacing: 429s
    desk = Room(server, DESK)
    targets = crowd(server)
    try:
        reply = await desk.say(ALICE, "!kick @bob @dave @hank")
        assert "3 done" in visible(reply.msg)
        reply = await desk.say(ALICE, "!kick @ivy @jo")
        assert "2 done" in visible(reply.msg)
    finally:
        await app.stop()
    kicks = server.calls("groups.kick")
    assert sorted(r.body["userId"] for r in kicks if r.status == 200) == sorted(targets)
    refused = [r for r in kicks if r.status == 429]
    assert refused, "the server's limiter never refused: the test proves nothing"
    # Each 429 was waited out until the window's reset: the retry was never refused again.
    for r in refused:
        following = kicks[kicks.index(r) + 1]
        assert following.status == 200
        assert following.wall * 1000 >= int(r.answer_headers["X-RateLimit-Reset"])
    assert desk.members.isdisjoint(targets)
    assert len(server.calls(r".*", status=429)) >= len(refused)


async def test_pacing_spreads_calls_to_one_endpoint(
    server: RocketChatServer, settings_for: ConfigMaker
) -> None:
    pace = {"rate_limit_calls": 2, "rate_limit_seconds": WINDOW}
    crowd(server)
    app = await start_bot(settings_for(pace), server)
    try:
        reply = await Room(server, DESK).say(ALICE, "!kick @bob @dave @hank @ivy")
        assert "4 done" in visible(reply.msg)
    finally:
        await app.stop()
    kicks = server.calls("groups.kick")
    assert [r.status for r in kicks] == [200] * 4
    # 2 at once, then one every WINDOW/2 seconds: the 4th leaves a full window after the 1st.
    assert kicks[3].at - kicks[0].at >= WINDOW * 0.9
    assert server.calls(r".*", status=429) == []


async def test_a_limited_lookup_delays_the_answer_but_loses_nothing(
    server: RocketChatServer, desk: Room
) -> None:
    server.fail_next("users.info", status=429, reset_in=0.3)
    delivery = await desk.post(ALICE, "!kick @bob")
    assert delivery.status == 200
    assert "Removed @bob." in visible((await server.next_message(DESK)).msg)
    assert [r.status for r in server.calls("users.info")][:2] == [429, 200]
    assert server.changing_calls() == [f"groups.kick {BOB}"]
