"""The SCIM server as the app runs it: its offboardings are ``bot.everywhere``'s departures.

Each deactivation or deletion becomes one all-platform case by ``scim:<client name>``, living
in the first of ``scim.report_rooms`` (its plan, ``/confirm``, ``/jobs``) and reported to each
of them; with ``confirm_by`` it waits for one of those people's ``/confirm``. The request's key
makes a start that is tried again (after a crash or a failure) find the same case.
"""

from __future__ import annotations

from bot.dispatch import Dispatcher
from bot.everywhere import Departure, start_departure
from bot.scim.server import ScimServer
from bot.scim.settings import ScimSettings
from bot.store import Store

REASON = "deprovisioned by the identity provider"
"""The case's reason, shown with each removal."""


class DepartureOffboarder:
    def __init__(self, dispatcher: Dispatcher, settings: ScimSettings):
        self._dispatcher = dispatcher
        self._settings = settings

    async def start(self, email: str, requested_by: str, key: str) -> int:
        departure = Departure(email, reason=REASON, requested_by=requested_by, key=key)
        return await start_departure(
            self._dispatcher,
            departure,
            report_to=self._settings.report_rooms,
            confirm_by=self._settings.confirm_by,
        )


async def serve(settings: ScimSettings, store: Store, dispatcher: Dispatcher) -> ScimServer:
    """Start the SCIM server (it starts any offboarding left pending by an earlier run)."""
    server = ScimServer(settings, store.scim_users, DepartureOffboarder(dispatcher, settings))
    await server.start()
    return server
