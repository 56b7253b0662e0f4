"""Reading Chime message text and writing Chime markdown (pure functions)."""

from __future__ import annotations

import json

import pytest

from bot.model import MentionToken, UserRef, Word
from bot.platforms.chime.text import chunks, render, tokenize
from bot.reply import Code, Mention, Text, Untrusted, line
from bot.testing.chime.state import plain

BOT = UserRef("bot-1", "Kick Bot", "kickbot-9f2c@bots.example.com")
BOB = UserRef("u-bob", "Bob", "bob@example.com")
PEOPLE = {"bob@example.com": BOB}


@pytest.mark.parametrize(
    "lead",
    ["@kickbot-9f2c@bots.example.com", "@Kick Bot@bots.example.com", "@Kick Bot", "@kick bot"],
)
def test_each_form_of_the_bot_mention_addresses_it(lead: str) -> None:
    tokens = tokenize(f"{lead} /kick @bob@example.com", BOT, PEOPLE.get)
    assert tokens == (MentionToken(BOT, lead), Word("/kick"), MentionToken(BOB, "@bob@example.com"))


def test_mentions_emails_and_words() -> None:
    tokens = tokenize(
        "@Kick Bot kick @BOB@Example.com, carol@example.com @zed@example.com @All @bob", BOT,
        PEOPLE.get,
    )  # fmt: skip
    assert tokens[1:] == (
        Word("kick"),
        MentionToken(BOB, "@BOB@Example.com,"),  # case and trailing punctuation do not matter
        Word("carol@example.com"),  # a plain address: an e-mail target for the core
        Word("zed@example.com"),  # a mention of someone not in the room: their address
        Word("@All"),
        Word("@bob"),  # bare aliases are not resolved: the grammar says it is typed text
    )


def test_bot_mention_only_at_the_start_addresses_the_bot() -> None:
    tokens = tokenize("/kick @kickbot-9f2c@bots.example.com", BOT, PEOPLE.get)
    assert tokens == (Word("/kick"), MentionToken(BOT, "@kickbot-9f2c@bots.example.com"))
    assert tokenize("@Kick Botty /kick", BOT, PEOPLE.get)[0] == Word("@Kick")


def test_rendering_escapes_and_mentions() -> None:
    out = render(
        (
            line(Mention(BOB), " ", Code("/kick `x` @All"), ": ", Untrusted("#1 <i>@All</i>")),
            line(Untrusted("- item")),
            line(Untrusted("1. item")),
            line(Mention(UserRef("u-7", "Seven")), Text(" and "), Mention(UserRef("u-8", "Ei*"))),
        ),
        {"u-7": "seven@example.com"},
    )
    assert out[0] == ("@bob@example.com ``/kick `x` @\u200bAll``: \\#1 \\<i\\>@\u200bAll\\</i\\>")
    assert out[1] == "\\- item"
    assert out[2] == "1\\. item"
    assert out[3] == "@seven@example.com and Ei\\*"
    assert plain(out[0]) == "@bob@example.com /kick `x` @All: #1 <i>@All</i>"


def test_chunks_stay_within_4_kb_and_keep_every_line() -> None:
    lines = [f"Removed @user{n}@example.com — reason: {'é' * 40}" for n in range(120)]
    parts = chunks(lines)
    assert len(parts) > 1
    for part in parts:
        assert len(json.dumps({"Content": part}, ensure_ascii=False).encode()) <= 4096
    assert "\n".join(parts).split("\n") == lines
