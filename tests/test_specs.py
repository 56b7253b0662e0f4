"""The emulated pod validates against the official specs: the copies in the package must be the
ones in ../shared/specs (the package carries them so the demo works without that folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SHARED = ROOT.parent / "shared" / "specs"
PAIRS = [
    ("pod-api-public.oas3.yaml", "oas3/pod-api-public.oas3.yaml"),
    ("login-api-public.oas3.yaml", "oas3/login-api-public.oas3.yaml"),
    ("agent-api-public.yaml", "symphony/agent-api-public.yaml"),
]


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/specs is not beside the project")
@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=[p[0] for p in PAIRS])
def test_vendored_spec_is_the_official_one(ours: str, theirs: str) -> None:
    assert (ROOT / "bot/testing/specs" / ours).read_bytes() == (SHARED / theirs).read_bytes()
