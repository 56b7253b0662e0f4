"""The Rocket.Chat double validates against the official specs: the copies in the package must
be the ones in ../shared/specs/rocketchat (the package carries them for the demo)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent
SHARED = ROOT.parent / "shared" / "specs" / "rocketchat"
NAMES = ["rooms", "user-management", "messaging", "authentication"]


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/specs is not beside the project")
@pytest.mark.parametrize("name", NAMES)
def test_vendored_spec_is_the_official_one(name: str) -> None:
    ours = ROOT / "bot" / "testing" / "specs" / f"rocketchat-{name}.yaml"
    assert ours.read_bytes() == (SHARED / f"{name}.yaml").read_bytes()
