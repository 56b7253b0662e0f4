"""Install Synapse for the Matrix tests into its own virtualenv (CI runs this before pytest).

    .venv/bin/python tests/matrix/synapse_env.py

The tests' fixture does the same on first use; running it first makes a broken install fail
loudly and keeps the install time out of the test timings. It is the same virtualenv as
``kickbot demo --platform matrix`` uses, so Synapse is installed once for both:
``KICKBOT_SYNAPSE_VENV`` if set, else ``~/.cache/kickbot/synapse-venv`` (``$XDG_CACHE_HOME``
instead of ``~/.cache`` when set).
"""

from __future__ import annotations

import sys
import time

from bot.testing.matrix import SynapseUnavailable, default_venv, ensure_synapse

VENV = default_venv()


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
