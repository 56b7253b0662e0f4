"""Replies through the event's webhook: paced to 1 per second per room, escaped, within 4 KB."""

from __future__ import annotations

from bot.testing.chime.double import ChimeDouble
from tests.chime.conftest import ALICE, BOB, CAROL, DESK, Room


async def test_two_commands_within_a_second_both_replies_arrive(
    chime: ChimeDouble, desk: Room
) -> None:
    await desk.send(ALICE, "/help")
    await desk.send(CAROL, "/kick @bob@example.com")
    first = await chime.next_message(DESK)
    second = await chime.next_message(DESK)
    assert first.text.startswith("@alice@example.com /help")
    assert second.text.startswith("@carol@example.com /kick")
    assert "Removed @bob@example.com." in second.text
    # Paced: the room's webhook accepted them at least a second apart, and any 429 on the way
    # was retried (every reply landed exactly once).
    assert second.at - first.at >= 1.0
    assert chime.webhook_statuses(DESK).count(200) == 2
    assert len(chime.messages(DESK)) == 2
    # kickbot paced itself: its second post did not even try within the second (no 429 needed).
    posts = [c for c in chime.requests if c.path.startswith("/incomingwebhooks/")]
    assert posts[1].at - posts[0].at >= 0.9


async def test_user_text_is_escaped_for_chime_markdown(chime: ChimeDouble, desk: Room) -> None:
    reason = r"*bold* _it_ `code` <b>x</b> [site](http://evil.example) @All @Present #1 \ ~~x~~"
    reply = await desk.say(ALICE, f"/kick @bob@example.com {reason}")
    assert f"Removed @bob@example.com — reason: {reason}" in reply.text
    content = reply.content
    for raw in ("*bold*", "_it_", "`code`", "<b>", "[site](", "@All", "@Present", "~~x~~"):
        assert raw not in content, raw
    assert "\\*bold\\*" in content
    assert "@\u200bAll" in content  # an @All typed by a user can never alert the room
    assert content.startswith("@alice@example.com ")  # kickbot's own mention stays a mention


async def test_a_reply_over_4_kb_is_split_and_cut_not_refused(
    chime: ChimeDouble, desk: Room
) -> None:
    reason = "x" * 5000
    head = await desk.say(ALICE, f"/kick @bob@example.com {reason}")
    assert head.text == "@alice@example.com /kick · case 1: 1 done"
    rest = await chime.next_message(DESK)  # the long line goes alone, cut to fit
    assert rest.text.startswith("Removed @bob@example.com — reason: xxxx")
    assert rest.content.endswith("x …")
    assert chime.webhook_statuses(DESK) == [200, 200]  # no 413
    assert BOB not in desk.roles
