"""Targets in, markdown out: user text cannot format or mention."""

from __future__ import annotations

from bot.model import MentionToken, UserRef, Word
from bot.platforms.chime_sdk.text import escape, mention, messages, render, tokenize
from bot.reply import Code, Mention, Text, Untrusted

INSTANCE = "arn:aws:chime:us-east-1:111122223333:app-instance/a1b2c3d4"
BOT = UserRef(INSTANCE + "/user/kickbot", "kickbot")


def test_targets_by_id_and_by_arn() -> None:
    other = "arn:aws:chime:us-east-1:111122223333:app-instance/ffff/user/bob"
    tokens = tokenize(
        f"@kickbot kick @bob, {INSTANCE}/user/dave.x {other} bob@example.com", BOT, INSTANCE
    )
    assert tokens[0] == MentionToken(BOT, "@kickbot")
    assert tokens[1] == Word("kick")
    assert tokens[2] == MentionToken(UserRef(INSTANCE + "/user/bob", "bob"), "@bob,")
    assert tokens[3] == MentionToken(
        UserRef(INSTANCE + "/user/dave.x", "dave.x"), f"{INSTANCE}/user/dave.x"
    )
    assert tokens[4] == Word(other)  # another AppInstance's user is nobody here
    assert tokens[5] == Word("bob@example.com")


def test_user_text_cannot_format_or_mention() -> None:
    shown = escape("*bold* _it_ [link](http://x) `code` <b> # @all\nnext")
    assert "*" not in shown.replace("\\*", "")
    assert "@all" not in shown  # a zero-width space after every @
    assert "\n" not in shown
    assert shown.startswith("\\*bold\\* \\_it\\_ \\[link\\]\\(http\\:\\/\\/x\\)")


def test_a_reply_line_renders_mentions_code_and_text() -> None:
    bob = UserRef(INSTANCE + "/user/bob_b", "Bob <script>")
    line = (Mention(bob), Text(" "), Code("/kick `x`"), Untrusted(" *why* \u202e"))
    (rendered,) = render((line,))
    assert rendered.startswith("@bob\\_b `` /kick `x` ``")
    assert "\\*why\\*" in rendered
    assert "\u202e" not in rendered  # a bidi override is shown, not obeyed
    assert mention(bob) == "@bob\\_b"


def test_long_replies_are_split_within_4_kb() -> None:
    lines = ["é" * 1500] * 4 + ["x" * 5000]
    sent = messages(lines)
    assert all(len(m.encode()) <= 4096 for m in sent)
    assert sent[-1].endswith(" …")
