"""Matrix message text: tokens from body/formatted_body, replies rendered and escaped."""

from __future__ import annotations

from typing import Any

from bot.model import MentionToken, Token, UserRef, Word
from bot.platforms.matrix.text import render, tokens
from bot.reply import Code, Mention, Text, Untrusted, line

BOT = UserRef("@kickbot:example.org", "Kick Bot")
NAMES = {"@bob:example.org": "Bob", "@kickbot:example.org": "Kick Bot"}


def lookup(uid: str) -> UserRef:
    return UserRef(uid, NAMES.get(uid))


def toks(content: dict[str, Any]) -> list[Token]:
    return list(tokens(content, lookup, BOT))


def test_plain_body_with_full_user_ids() -> None:
    got = toks({"msgtype": "m.text", "body": "!kick @bob:example.org, @carol:example.org:8448 bye"})
    assert got == [
        Word("!kick"),
        MentionToken(UserRef("@bob:example.org", "Bob"), "@bob:example.org"),
        MentionToken(UserRef("@carol:example.org:8448"), "@carol:example.org:8448"),
        Word("bye"),
    ]


def test_a_typed_name_stays_a_word() -> None:
    assert toks({"body": "!kick @bob please"}) == [Word("!kick"), Word("@bob"), Word("please")]


def test_pills_in_formatted_body_are_mentions_and_the_reply_fallback_is_skipped() -> None:
    html = (
        "<mx-reply><blockquote>!kick @x:e.org</blockquote></mx-reply>"
        '<a href="https://matrix.to/#/@kickbot:example.org">Kick Bot</a>: kick '
        '<a href="https://matrix.to/#/%40bob%3Aexample.org">Bobby</a> <b>loud</b>'
        '<a href="https://example.org/">link</a>'
    )
    got = toks({"body": "ignored", "format": "org.matrix.custom.html", "formatted_body": html})
    assert got == [
        MentionToken(BOT, "Kick Bot"),
        Word("kick"),
        MentionToken(UserRef("@bob:example.org", "Bob"), "Bobby"),
        Word("loudlink"),
    ]


def test_the_bots_display_name_typed_first_is_a_mention_of_the_bot() -> None:
    got = toks({"body": "kick bot: kick @bob:example.org"})
    assert got[0] == MentionToken(BOT, "kick bot:")
    assert got[1] == Word("kick")
    assert toks({"body": "kickbot kick"})[0] == MentionToken(BOT, "kickbot")
    assert toks({"body": "kickbot"}) == [Word("kickbot")]  # the name alone is no command


def test_render_escapes_and_pills() -> None:
    reply = (
        line(Mention(UserRef("@a:e.org", "A <&>")), " ", Code("/kick"), ": done"),
        line("Removed — reason: ", Untrusted("<script>x</script> & more"), Text(" <ok>")),
    )
    body, html, mentioned = render(reply)
    assert body == "A <&> /kick: done\nRemoved — reason: <script>x</script> & more <ok>"
    assert html == (
        '<a href="https://matrix.to/#/@a:e.org">A &lt;&amp;&gt;</a> <code>/kick</code>: done'
        "<br/>Removed — reason: &lt;script&gt;x&lt;/script&gt; &amp; more &lt;ok&gt;"
    )
    assert mentioned == ["@a:e.org"]
