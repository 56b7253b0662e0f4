"""Information Barrier groups: their members, and bulk adds and removals, through the pod's
admin API (generated; the BDK does not wrap it)."""

from __future__ import annotations

from collections.abc import Sequence

from symphony.bdk.gen.pod_api.info_barriers_api import InfoBarriersApi

from bot import errors
from bot.model import UserRef
from bot.platforms.symphony.calls import PodClients, pod_call, to_platform_error, url_safe_id


class IbGroups:
    def __init__(self, clients: PodClients) -> None:
        self._clients = clients

    async def _token(self) -> str:
        """The BDK's session token: its cached one, signed in again only when it has none. Not
        a pod API call, so not counted as one in the metrics."""
        try:
            return str(await self._clients.session.session_token)
        except Exception as exc:
            raise to_platform_error(exc) from exc

    async def members(self, group: str) -> set[str]:
        api = InfoBarriersApi(self._clients.factory.get_pod_client())
        found: set[str] = set()
        page = 10000  # the most the pod answers at once (and its default)
        token = await self._token()
        while True:
            ids = await pod_call(
                "listIBGroupMembers",
                api.v1_admin_group_gid_membership_list_get(
                    gid=url_safe_id(group), session_token=token, skip=len(found), limit=page
                ),
            )
            listed = [str(i) for i in (ids or [])]
            found.update(listed)
            if len(listed) < page:
                return found

    async def change(self, op: str, group: str, users: Sequence[UserRef]) -> tuple[list[str], str]:
        api = InfoBarriersApi(self._clients.factory.get_pod_client())
        request, operation = (
            (api.v1_admin_group_gid_membership_remove_post, "removeIBGroupMembers")
            if op == "remove"
            else (api.v1_admin_group_gid_membership_add_post, "addIBGroupMembers")
        )
        token = await self._token()
        result = await pod_call(
            operation,
            request(gid=url_safe_id(group), session_token=token, users=[int(u.id) for u in users]),
        )
        messages = list(result.results or [])
        if len(messages) != len(users):
            raise errors.Unavailable(
                f"the pod answered {len(messages)} results for {len(users)} users",
                status=502,
                response=result.to_json(),
            )
        return messages, str(result.to_json())
