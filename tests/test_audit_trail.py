"""The audit trail cannot be cut short or rewritten unnoticed; prune is careful; the CSV export
is safe to open in a spreadsheet; ``kickbot audit`` reads only a store that exists.

Each test tampers with a real store (a SQLite file, and PostgreSQL when configured) the way
someone with write access to the database would, and runs the real ``kickbot audit`` commands.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import structlog
from click.testing import CliRunner, Result

from bot import audit
from bot.audit import sinks
from bot.cli import main
from bot.errors import KickbotError
from bot.model import Invocation, MentionToken, RoomRef, UserRef, Word
from bot.outcome import ItemResult, OutcomeKind, Status
from bot.reply import line
from bot.store import Store
from bot.store.database import Database
from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, DESK, ConfigMaker, Room, running, start_bot

KEY = "k3y-for-the-chain"


OLD = datetime(2020, 1, 1, tzinfo=UTC)


def chain(
    key: str | None, head_file: Path | None = None, at: datetime | None = None
) -> audit.Chain:
    configured = audit.configured_chain(key, str(head_file) if head_file else None)
    if at is not None:
        configured.clock = lambda: at
    return configured


async def make_cases(
    url: str,
    n: int,
    *,
    key: str | None = KEY,
    head_file: Path | None = None,
    first: int = 0,
    reason: str = "spam",
    at: datetime | None = None,
) -> None:
    """``n`` closed /kick cases, each with one result: 2 records each (made ``at``)."""
    store = await Store.open(url, chain(key, head_file, at))
    try:
        for i in range(first, first + n):
            target = UserRef(str(100 + i), f"Zoë {i}")
            inv = Invocation(
                "symphony", f"m{i}", RoomRef("room1"), UserRef("1", "Alice"),
                (Word("/kick"), MentionToken(target, "@Zoë"), Word(reason)),
            )  # fmt: skip
            case = await store.record(inv, "kick")
            assert case is not None
            job = await store.claim("symphony", "room1", "test", 60)
            assert job is not None
            await store.note_reason(case, reason)
            await store.journal(case).record(
                ItemResult(target, Status.DONE, line("Removed ", target.label), "200 Removed")
            )
            await store.finish(case, OutcomeKind.REPORT, f"done {i}")
    finally:
        await store.close()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _sql(url: str, statements: Sequence[str], params: dict[str, Any] | None = None) -> int:
    db = Database.connect(url)
    try:

        def work(conn: Any) -> int:
            changed = 0
            for statement in statements:
                changed += conn.execute(statement, params)
            return changed

        return await db.run(work, atomic=True)
    finally:
        await db.close()


def tamper(url: str, *statements: str, **params: Any) -> int:
    changed: int = run(_sql(url, statements, params))
    return changed


async def _rows(url: str, sql: str) -> list[dict[str, Any]]:
    db = Database.connect(url)
    try:
        return await db.run(lambda conn: conn.rows(sql))
    finally:
        await db.close()


def rows(url: str, sql: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = run(_rows(url, sql))
    return result


def kickbot(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def verify(url: str, *args: str) -> Result:
    return kickbot("audit", "verify", "--store", url, *args)


def rehash_plain(url: str) -> None:
    """What someone without the key can do: recompute every link as a plain SHA-256."""
    records = rows(url, "SELECT seq, at, kind, case_id, payload FROM audit_log ORDER BY seq")
    prev = audit.GENESIS
    for r in records:
        digest = audit.record_hash(prev, r["seq"], r["at"], r["kind"], r["case_id"], r["payload"])
        tamper(
            url,
            "UPDATE audit_log SET prev_hash = :prev, hash = :hash, link = 'sha256'"
            " WHERE seq = :seq",
            prev=prev,
            hash=digest,
            seq=r["seq"],
        )
        prev = digest


def drop_case(url: str, case: int) -> None:
    """Delete a case everywhere: its records, its results, its command."""
    tamper(
        url,
        "DELETE FROM audit_log WHERE case_id = :case",
        "DELETE FROM results WHERE command_id = :case",
        "DELETE FROM commands WHERE id = :case",
        case=case,
    )


# --- item 5: truncation and rewriting ----------------------------------------------------


@pytest.mark.parametrize("drop", [1, 6, "all"], ids=["last", "last-six", "all"])
def test_a_cut_tail_is_found_against_the_head_kept_outside(
    store_url: str, tmp_path: Path, drop: int | str
) -> None:
    head_file = tmp_path / "elsewhere" / "kickbot.head"
    head_file.parent.mkdir()
    run(make_cases(store_url, 4, head_file=head_file))  # the key record + 4 x 2 = 9 records
    kept = json.loads(head_file.read_text())
    assert (kept["seq"], kept["link"]) == (9, "hmac-sha256")
    intact = verify(store_url, "--key", KEY, "--head-file", str(head_file))
    assert intact.exit_code == 0, intact.output
    assert "audit chain intact: 9 records verified (0 plain SHA-256 links, 9 keyed" in intact.stdout
    assert "4 closed cases and 4 results match it" in intact.stdout

    cut = "DELETE FROM audit_log" + ("" if drop == "all" else f" WHERE seq > {9 - int(drop)}")
    tamper(store_url, cut)
    with_file = verify(store_url, "--key", KEY, "--head-file", str(head_file))
    with_head = verify(store_url, "--key", KEY, "--head", f"{kept['seq']}:{kept['hash']}")
    for found in (with_file, with_head):
        assert found.exit_code == 1
        assert "audit chain broken at record #" in found.stderr
        if drop == "all":
            assert "the chain is empty" in found.stderr
        else:
            end = 9 - int(drop)
            assert f"the chain ends at #{end}, but its head was #9" in found.stderr
            gone = "record #9 is" if drop == 1 else f"records #{end + 1}–#9 are"
            assert f"{gone} missing (cut off)" in found.stderr


def test_the_log_line_of_each_append_carries_the_head(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with structlog.testing.capture_logs() as logged:
        # A test that ran the command line before may have configured structlog to cache each
        # logger on first use (bot.logs), which capture_logs cannot reach: a fresh one can.
        monkeypatch.setattr(sinks, "log", structlog.get_logger(sinks.__name__))
        run(make_cases(store_url, 2, key=None))
    appended = [e for e in logged if e["event"] == "audit appended"]
    assert [(e["seq"], e["case"], e["link"]) for e in appended] == [
        (2, 1, "sha256"),
        (4, 2, "sha256"),
    ]
    head = f"{appended[-1]['seq']}:{appended[-1]['hash']}"
    assert verify(store_url, "--head", head).exit_code == 0
    drop_case(store_url, 2)
    assert "intact" in verify(store_url).stdout  # alone, a plain chain cannot tell
    cut = verify(store_url, "--head", head)
    assert cut.exit_code == 1
    assert "the chain ends at #2, but its head was #4: records #3–#4 are missing (cut off)" in (
        cut.stderr
    )


def test_emptying_a_keyed_chain_is_found_with_the_key_alone(store_url: str) -> None:
    run(make_cases(store_url, 3))
    tamper(store_url, "DELETE FROM audit_log")
    found = verify(store_url, "--key", KEY)
    assert found.exit_code == 1
    assert "the chain is empty, yet an audit key is set" in found.stderr


def test_a_rewrite_without_the_key_is_found(store_url: str) -> None:
    run(make_cases(store_url, 3))
    tamper(
        store_url,
        "UPDATE audit_log SET payload = replace(payload, 'Removed', 'Kept') WHERE seq = 3",
    )
    rehash_plain(store_url)  # every link recomputed, as plain SHA-256
    found = verify(store_url, "--key", KEY)
    assert found.exit_code == 1
    assert "the chain ends in a plain SHA-256 link, yet an audit key is set" in found.stderr
    # recomputed but still marked keyed: the HMAC does not match
    tamper(store_url, "UPDATE audit_log SET link = 'hmac-sha256'")
    found = verify(store_url, "--key", KEY)
    assert found.exit_code == 1
    assert "audit chain broken at record #1: its content does not match its hash" in found.stderr
    # without the key, a keyed chain cannot be passed off as verified
    assert "needs the audit key" in verify(store_url).stderr


def test_a_rewrite_of_a_plain_chain_is_found_against_the_head(store_url: str) -> None:
    run(make_cases(store_url, 3, key=None))
    head = rows(store_url, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")[0]
    tamper(
        store_url,
        "UPDATE audit_log SET payload = replace(payload, 'Removed ', 'Kept ') WHERE seq = 2",
        "UPDATE results SET line = replace(line, 'Removed ', 'Kept ') WHERE command_id = 1",
    )
    rehash_plain(store_url)
    alone = verify(store_url)
    assert alone.exit_code == 0, alone.output  # the known limit of an unkeyed chain alone
    found = verify(store_url, "--head", f"{head['seq']}:{head['hash']}")
    assert found.exit_code == 1
    assert "record #6's hash is not the head's" in found.stderr
    assert "the chain was rewritten up to there" in found.stderr


def test_keyed_links_follow_plain_ones_and_a_downgrade_is_named(store_url: str) -> None:
    run(make_cases(store_url, 2, key=None))  # records 1-4, plain: before the key was set
    run(make_cases(store_url, 1, first=5))  # the key record (#5) and #6, #7 keyed
    links = rows(store_url, "SELECT seq, kind, link FROM audit_log ORDER BY seq")
    assert [(r["kind"], r["link"]) for r in links[3:6]] == [
        ("result", "sha256"),
        ("audit-key", "hmac-sha256"),
        ("case", "hmac-sha256"),
    ]
    ok = verify(store_url, "--key", KEY)
    assert ok.exit_code == 0, ok.output
    assert "7 records verified (4 plain SHA-256 links, 3 keyed (HMAC))" in ok.stdout
    wrong = verify(store_url, "--key", "not-the-key")
    assert wrong.exit_code == 1
    assert "record #5: its content does not match its hash (edited), or the audit key" in (
        wrong.stderr
    )
    # a writer without the key is refused rather than appending plain links after keyed ones
    with pytest.raises(KickbotError, match=r"links are keyed .* no audit key is configured"):
        run(make_cases(store_url, 1, first=9, key=None))
    with pytest.raises(KickbotError, match="audit key does not match the one that made record"):
        run(make_cases(store_url, 1, first=9, key="another key"))
    # a plain record appended after the keyed ones, by hand
    last = rows(store_url, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")[0]
    digest = audit.record_hash(last["hash"], 8, "2026-12-07T00:00:00", "note", 0, "{}")
    tamper(
        store_url,
        "INSERT INTO audit_log (seq, at, kind, case_id, payload, prev_hash, hash, link) VALUES"
        " (8, '2026-12-07T00:00:00', 'note', 0, '{}', :prev, :hash, 'sha256')",
        prev=last["hash"],
        hash=digest,
    )
    found = verify(store_url, "--key", KEY)
    assert found.exit_code == 1
    assert "record #8: a plain SHA-256 link after keyed ones" in found.stderr


def test_a_head_file_ahead_of_the_store_stops_the_bot(store_url: str, tmp_path: Path) -> None:
    head_file = tmp_path / "kickbot.head"
    run(make_cases(store_url, 3, head_file=head_file))
    tamper(store_url, "DELETE FROM audit_log WHERE seq > 5")
    with pytest.raises(KickbotError, match=r"does not hold the head kept in .*records #6–#7"):
        run(make_cases(store_url, 1, first=10, head_file=head_file))
    assert json.loads(head_file.read_text())["seq"] == 7  # not written over


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        (
            "UPDATE commands SET outcome = 'refused' WHERE id = 2",
            "case #2 in commands differs from it: outcome 'refused', recorded 'report'",
        ),
        (
            "UPDATE commands SET caller_label = 'Frank Compliance' WHERE id = 1",
            "case #1 in commands differs from it: caller 'Frank Compliance', recorded 'Alice'",
        ),
        (
            "UPDATE results SET status = 'failed' WHERE command_id = 3",
            "case #3: the result for Zoë 2 (102) in results differs from it: result 'failed',"
            " recorded 'done'",
        ),
        (
            "UPDATE results SET line = replace(line, 'Removed', 'Kept') WHERE command_id = 1",
            "case #1: the result for Zoë 0 (100) in results differs from it: detail",
        ),
        (
            "DELETE FROM results WHERE command_id = 2",
            "case #2: the result for Zoë 1 (101) is missing from results (deleted)",
        ),
        (
            "INSERT INTO commands (platform, event_id, room, caller_id, caller_label, command,"
            " text, invocation, received_at, state, outcome) VALUES ('symphony', 'forged',"
            " 'room1', '1', 'Alice', 'kick', '/kick', '{}', '2026-12-01', 'done', 'report')",
            "case #4 is closed in commands but has no record in the audit chain",
        ),
    ],
    ids=["outcome", "caller", "result", "detail", "result-deleted", "case-added"],
)
def test_an_edited_commands_or_results_row_is_named(store_url: str, sql: str, named: str) -> None:
    run(make_cases(store_url, 3, key=None))
    assert verify(store_url).exit_code == 0
    tamper(store_url, sql)
    found = verify(store_url)
    assert found.exit_code == 1
    assert "shown by `kickbot audit` and /case do not match the chain" in found.stderr
    assert named in found.stderr


# --- item 6: prune -----------------------------------------------------------------------


def count(url: str) -> int:
    return int(rows(url, "SELECT count(*) AS n FROM audit_log")[0]["n"])


def prune(url: str, *args: str) -> Result:
    return kickbot("audit", "prune", "--store", url, *args)


def test_prune_refuses_a_wrong_key_before_deleting_anything(store_url: str) -> None:
    run(make_cases(store_url, 1, at=OLD))  # the key record, case 1: #1-#3
    run(make_cases(store_url, 2, first=1))  # #4-#7
    refused = prune(store_url, "--days", "30", "--key", "wrong")
    assert refused.exit_code == 1
    assert "the audit key does not match the one that made record #7" in refused.stderr
    assert count(store_url) == 7
    pruned = prune(store_url, "--days", "30", "--key", KEY)
    assert pruned.exit_code == 0, pruned.output
    assert "3 records older than 30 days pruned" in pruned.stdout
    # the pruned case is gone from what `kickbot audit` shows, and all of it still verifies
    shown = json.loads(kickbot("audit", "--store", store_url, "--json").stdout)
    assert [c["case"] for c in shown] == [2, 3]
    ok = verify(store_url, "--key", KEY)
    assert ok.exit_code == 0, ok.output
    assert "after 1 pruning checkpoint(s)" in ok.stdout
    refused = prune(store_url, "--days", "30", "--key", "wrong")
    assert refused.exit_code == 1
    assert count(store_url) == 4


def test_prune_refuses_a_checkpoint_key_it_cannot_match(store_url: str) -> None:
    run(make_cases(store_url, 2, key=None, at=OLD))  # a bot that never had the key
    run(make_cases(store_url, 2, key=None, first=2))
    assert prune(store_url, "--days", "30", "--key", KEY).exit_code == 0
    assert count(store_url) == 4
    refused = prune(store_url, "--days", "30", "--key", "wrong")
    assert refused.exit_code == 1
    assert "does not match the one that signed the pruning checkpoint through record #4" in (
        refused.stderr
    )
    assert count(store_url) == 4


@pytest.mark.parametrize("days", ["-1", "0"])
def test_prune_refuses_a_non_positive_age(store_url: str, days: str) -> None:
    run(make_cases(store_url, 2))
    refused = prune(store_url, "--days", days, "--key", KEY)
    assert refused.exit_code == 1
    assert f"--days {days}: prune keeps this many days of records; it must be at least 1" in (
        refused.stderr
    )
    assert count(store_url) == 5


def test_prune_refuses_a_broken_chain(store_url: str) -> None:
    run(make_cases(store_url, 3, at=OLD))
    tamper(store_url, "UPDATE commands SET outcome = 'refused' WHERE id = 3")
    refused = prune(store_url, "--days", "30", "--key", KEY)
    assert refused.exit_code == 1
    assert "nothing pruned (pruning would hide it)" in refused.stderr
    assert count(store_url) == 7


def _prune_in_three(url: str) -> None:
    """Three prunes, three checkpoints: through #3, #5 and #7 of 9 records."""
    run(make_cases(url, 1, at=OLD))
    assert prune(url, "--days", "30", "--key", KEY).exit_code == 0
    for first in (1, 2):
        run(make_cases(url, 1, first=first, at=OLD))
        assert prune(url, "--days", "30", "--key", KEY).exit_code == 0
    run(make_cases(url, 1, first=3))


@pytest.mark.parametrize(
    ("deleted", "named"),
    [
        (
            7,
            "record #6: missing (deleted): the chain goes on at #8, and no pruning checkpoint"
            " covers #6–#7 (if pruned, its checkpoint was deleted)",
        ),
        (5, "record #4: records #4–#5 are pruned, but no checkpoint covers them"),
        (3, "record #1: records #1–#3 are pruned, but no checkpoint covers them"),
    ],
    ids=["newest", "middle", "oldest"],
)
def test_a_deleted_checkpoint_is_found(store_url: str, deleted: int, named: str) -> None:
    _prune_in_three(store_url)
    intact = verify(store_url, "--key", KEY)
    assert intact.exit_code == 0, intact.output
    assert "after 3 pruning checkpoint(s)" in intact.stdout
    tamper(store_url, "DELETE FROM audit_checkpoints WHERE through_seq = :seq", seq=deleted)
    found = verify(store_url, "--key", KEY)
    assert found.exit_code == 1
    assert named in found.stderr


def test_a_deleted_checkpoint_of_an_emptied_chain_is_found(store_url: str) -> None:
    run(make_cases(store_url, 2, at=OLD))
    assert prune(store_url, "--days", "30", "--key", KEY).exit_code == 0
    assert count(store_url) == 0
    assert verify(store_url, "--key", KEY).exit_code == 0
    tamper(store_url, "DELETE FROM audit_checkpoints")
    found = verify(store_url, "--key", KEY)
    assert found.exit_code == 1
    assert "the chain is empty, yet an audit key is set" in found.stderr


# --- item 7: CSV export ------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("reason", FORMULAS, ids=["eq", "plus", "minus", "at", "tab", "cr"])
def test_csv_cells_are_not_formulas(store_url: str, tmp_path: Path, reason: str) -> None:
    run(make_cases(store_url, 1, key=None, reason=reason))
    out_csv, out_json = tmp_path / "a.csv", tmp_path / "a.json"
    assert kickbot("audit", "export", "--store", store_url, "-o", str(out_csv)).exit_code == 0
    exported = kickbot(
        "audit", "export", "--store", store_url, "--format", "json", "-o", str(out_json)
    )
    assert exported.exit_code == 0
    with out_csv.open(encoding="utf-8", newline="") as f:
        case_row = next(csv.DictReader(f))
    assert case_row["reason"] == "'" + reason
    assert case_row["text"].startswith("/kick")  # other cells untouched
    assert json.loads(out_json.read_text(encoding="utf-8"))[0]["reason"] == reason  # exact


# --- issue 17 item 13: reading never creates a store; -o - is standard output -------------


@pytest.mark.parametrize(
    "args",
    [[], ["verify"], ["export", "-o", "out.csv"], ["--json"]],
    ids=["list", "verify", "export", "json"],
)
def test_reading_without_a_store_creates_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = kickbot("audit", *args)
    assert result.exit_code == 1
    assert "there is no store at sqlite:///kickbot.db (no such file): point at the bot's store" in (
        result.stderr
    )
    assert "--store URL" in result.stderr
    assert "--config FILE" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    missing = kickbot("audit", "--store", f"sqlite:///{tmp_path}/sub/none.db")
    assert missing.exit_code == 1
    assert not (tmp_path / "sub").exists()


def test_reading_an_empty_postgresql_database_creates_no_tables() -> None:
    from tests.stores import postgres_base, postgres_schema

    async def empty() -> None:
        async with postgres_schema(postgres_base()) as url:
            result = await asyncio.to_thread(kickbot, "audit", "--store", url)
            assert result.exit_code == 1
            assert "there is no kickbot store at" in result.stderr
            tables = await _rows(
                url,
                "SELECT count(*) AS n FROM information_schema.tables"
                " WHERE table_schema = current_schema()",
            )
            assert tables[0]["n"] == 0

    run(empty())


def test_export_to_standard_output(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run(make_cases(store_url, 2, key=None))
    result = kickbot("audit", "export", "--store", store_url, "-o", "-")
    assert result.exit_code == 0
    assert not (tmp_path / "-").exists()
    exported = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["kind"] for r in exported] == ["case", "result", "case", "result"]
    assert "4 records written to standard output" in result.stderr
    as_json = kickbot("audit", "export", "--store", store_url, "--format", "json", "-o", "-")
    assert len(json.loads(as_json.stdout)) == 4


# --- the bot itself ----------------------------------------------------------------------


async def test_the_bot_keys_its_links_and_keeps_the_head_outside(
    pod: SymphonyPod, settings_for: ConfigMaker, tmp_path: Path
) -> None:
    head_file = tmp_path / "kept-elsewhere.head"
    settings = settings_for(audit_key=KEY, audit_head_file=str(head_file))
    async with running(pod, settings) as app:
        await Room(pod, DESK).say(ALICE, "/kick @bob spam")
        assert app.dispatcher is not None
        await app.dispatcher.drain()
    kept = json.loads(head_file.read_text())
    assert (kept["seq"], kept["link"]) == (3, "hmac-sha256")  # the key record, case, result
    assert settings.store.startswith("sqlite:///")
    ok = await asyncio.to_thread(
        kickbot, "audit", "verify", "--store", settings.store, "--key", KEY, "--head-file",
        str(head_file),
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "3 records verified (0 plain SHA-256 links, 3 keyed (HMAC))" in ok.stdout
    assert "1 closed cases and 1 results match it" in ok.stdout
    # started again without the key, or with another one, the bot refuses (nothing appended)
    for other in (settings_for(), settings_for(audit_key="another")):
        with pytest.raises(KickbotError, match=r"audit key (does not match|is configured)"):
            await start_bot(other)
    assert json.loads(head_file.read_text())["seq"] == 3
