"""What the SCIM server starts when a directory user is deactivated or deleted.

The server only needs one thing from the rest of kickbot: "start the all-platform offboarding
of this e-mail, as this caller". Kept behind this protocol so that the server and its tests do
not depend on how the offboarding is run (``bot.everywhere`` in the app).
"""

from __future__ import annotations

from typing import Protocol


class Offboarder(Protocol):
    async def start(self, email: str, requested_by: str, key: str) -> int:
        """Record (durably) one offboarding case of ``email`` across every enabled platform,
        by ``requested_by`` (``scim:<client name>``), and return its case number. ``key``
        names the request: starting it again (after a crash before its case was noted) finds
        the same case rather than making a second."""
        ...
