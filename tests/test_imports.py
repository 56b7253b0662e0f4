"""Only the platforms enabled in the config are imported: the SDKs are heavy."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from bot.app import App
from bot.settings import parse
from handlers import COMMANDS
settings = parse({"store": "sqlite:///:memory:"}, [c.name for c in COMMANDS])
App(settings)
import bot.cli, bot.preflight  # the command line lists the platforms from the registry
from bot.platforms import PLUGINS
sdks = sorted(PLUGINS.sdk_modules())  # every platform's SDK and client modules
heavy = [m for m in sdks if m in sys.modules]
print(",".join(heavy) or "none")
"""


def test_no_platform_sdk_is_imported_when_none_is_enabled() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "none"
