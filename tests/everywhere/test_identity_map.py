"""The identity map file (``offboarding.identity_map``): YAML or CSV, every entry checked, one
bad entry refuses the whole file naming where it is; check-config reports it. And the undo
step of an all-platform offboarding, which names its platform."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot import undo_steps
from bot.cli import main
from bot.errors import ConfigError
from bot.everywhere.identities import load, parse_csv, parse_yaml
from bot.undo_steps import Readd, Unreadable

ARN = "arn:aws:chime:us-east-1:111122223333:app-instance/abc/user/bob"


def test_yaml_names_ids_per_platform_by_lower_cased_address() -> None:
    found = parse_yaml(f'Bob@Example.com:\n  matrix: "@bob:example.org"\n  chime: {ARN}\n')
    assert found.id_on("bob@example.com", "matrix") == "@bob:example.org"
    assert found.id_on("BOB@example.COM", "chime") == ARN
    assert found.id_on("bob@example.com", "slack") is None
    assert found.id_on("carol@example.com", "matrix") is None


def test_csv_has_a_header_and_one_row_per_platform(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text(
        "email,platform,id\nbob@example.com,matrix,@bob:example.org\n\n"
        f"bob@example.com,chime,{ARN}\n",
        encoding="utf-8",
    )
    found = load(path)
    assert found.id_on("bob@example.com", "matrix") == "@bob:example.org"
    assert found.id_on("bob@example.com", "chime") == ARN
    assert len(found) == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- bob@example.com\n", "expected a mapping of e-mail address -> platform -> id"),
        ("bob: {matrix: '@bob:x.org'}\n", "bob is not an e-mail address"),
        ("bob@example.com: {teams: x}\n", "teams is not a platform"),
        ("bob@example.com: {matrix: '@bob x:y.org'}\n", "is not an id"),
        ("bob@example.com: {matrix: \"@bob\\u202e:x.org\"}\n", "is not an id"),
        ("bob@example.com: {matrix: " + "a" * 600 + "}\n", "at most 512 characters"),
        ("bob@example.com: {matrix: [a, b]}\n", "the id must be text"),
        ("bob@example.com: matrix\n", "expected a mapping of platform -> id"),
        ("bob@example.com: {matrix: '@a:x.org'}\nBOB@example.com: {matrix: '@b:x.org'}\n",
         "bob@example.com has two matrix ids"),
        ("bob@example.com: {matrix: [unclosed\n", "not valid YAML"),
    ],
)  # fmt: skip
def test_a_bad_yaml_entry_refuses_the_file(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_yaml(text, "ids.yaml")
    assert any(problem in p for p in refused.value.problems), refused.value.problems
    assert all(p.startswith("ids.yaml") for p in refused.value.problems)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("mail,platform,id\n", "line 1: the header must be email,platform,id"),
        ("email,platform,id\nbob@example.com,matrix\n", "line 2: expected 3 fields, found 2"),
        ("email,platform,id\nbob@example.com,irc,bob\n", "line 2: irc is not a platform"),
        ("email,platform,id\nnobody,matrix,@n:x.org\n", "line 2: nobody is not an e-mail"),
    ],
)
def test_a_bad_csv_row_refuses_the_file(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_csv(text, "ids.csv")
    assert any(problem in p for p in refused.value.problems), refused.value.problems


def test_a_file_that_is_not_text_or_not_there_is_refused(tmp_path: Path) -> None:
    binary = tmp_path / "ids.yaml"
    binary.write_bytes(b"\xff\xfe\x00bob")
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load(binary)
    with pytest.raises(ConfigError, match="cannot read"):
        load(tmp_path / "missing.yaml")


def test_check_config_names_the_key_and_the_entry(tmp_path: Path) -> None:
    ids = tmp_path / "ids.yaml"
    ids.write_text("bob@example.com: {teams: bob}\n", encoding="utf-8")
    path = tmp_path / "kickbot.yaml"
    path.write_text(
        yaml.safe_dump(
            {"store": f"sqlite:///{tmp_path}/k.db", "offboarding": {"identity_map": str(ids)}}
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check-config", str(path)])
    assert result.exit_code == 1
    assert "offboarding.identity_map" in result.output, result.output
    assert "teams is not a platform" in result.output, result.output


def test_a_room_undo_names_its_platform_and_reads_back() -> None:
    step = Readd(owner=True, room="C0DESK0001", name="Slack desk", user="U0BOB", platform="slack")
    assert undo_steps.loads(undo_steps.dumps(step)) == step
    # Without a platform it is written as earlier releases wrote it.
    assert "platform" not in (undo_steps.dumps(Readd(owner=False, room="r", user="u")) or "")
    # A platform that is not text is not understood: kept, never acted on.
    odd = '{"op": "add", "owner": false, "room": "r", "user": "u", "platform": 7}'
    assert isinstance(undo_steps.loads(odd), Unreadable)
