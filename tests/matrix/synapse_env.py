"""Install Synapse for the Matrix tests into its own virtualenv (CI runs this before pytest).

    .venv/bin/python tests/matrix/synapse_env.py

The tests' fixture does the same on first use; running it first makes a broken install fail
loudly and keeps the install time out of the test timings. ``KICKBOT_SYNAPSE_VENV`` overrides
the place (default: ``.synapse-venv`` at the repository root).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from bot.testing.matrix_synapse import SynapseUnavailable, ensure_synapse

VENV = Path(
    os.environ.get("KICKBOT_SYNAPSE_VENV") or Path(__file__).resolve().parents[2] / ".synapse-venv"
)


def main() -> int:
    began = time.monotonic()
    try:
        python = ensure_synapse(VENV, sys.stdout)
    except SynapseUnavailable as exc:
        print(f"Synapse could not be installed: {exc}", file=sys.stderr)
        return 1
    print(f"Synapse ready: {python} ({time.monotonic() - began:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
