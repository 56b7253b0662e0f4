"""The policy's e-mail entries as each platform knows them.

A policy names people by id or by e-mail address. A platform that does not show a user's
address (or shows it only with a permission) is asked which of its users the addresses are;
the answer is kept ``RESOLVE_AGAIN_SECONDS``, so a command does not pay a lookup per list.
Used by the policy step (``deny``, a command's ``users``), the targets step (``protected``) and
the rank step (``ranks``).
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from bot.entitlement import Policy, Resolved, is_email
from bot.errors import Forbidden
from bot.model import UserRef
from bot.pacing import Clock
from bot.platform import ExplainsEmailAccess, Platform

log = structlog.get_logger(__name__)

RESOLVE_AGAIN_SECONDS = 300.0
"""How long a policy list's e-mail entries stay resolved before they are looked up again (a
permission granted or taken away, an account created)."""


def email_access(platform: Platform) -> str | None:
    """What lets the bot see e-mail addresses on ``platform``, if its adapter says."""
    return platform.email_access if isinstance(platform, ExplainsEmailAccess) else None


class Resolver:
    """The policy's lists resolved per platform, kept a while (read-only lookups)."""

    def __init__(self, policy: Policy, monotonic: Clock):
        self._policy = policy
        self._monotonic = monotonic
        self._kept: dict[tuple[str, str], tuple[float, Resolved]] = {}

    async def resolve(
        self,
        platform: Platform,
        key: str,
        entries: Sequence[str],
        user: UserRef | None = None,
    ) -> Resolved:
        """``entries`` as ``platform`` knows them: e-mail entries resolved to its user ids
        (kept ``RESOLVE_AGAIN_SECONDS``). An address not found stays "unresolved" (it may be
        someone the platform does not show) unless the platform's look-up is conclusive. With
        ``user`` whose e-mail address is shown, nothing is looked up: comparing it is enough.
        A platform that refuses the look-up (a missing permission) resolves nothing, and is
        asked again next time."""
        emails = sorted({e.lower() for e in entries if is_email(e)})
        if not emails or (user is not None and user.email):
            return Resolved(tuple(entries))
        now = self._monotonic()
        cached = self._kept.get((platform.name, key))
        if cached is not None and cached[1].entries == tuple(entries):
            at, known = cached
            if now - at < RESOLVE_AGAIN_SECONDS:
                return known
        try:
            found = await platform.find_users_by_email(emails)
        except Forbidden as err:
            log.warning("the platform refused an e-mail look-up", key=key, error=err.detail)
            return Resolved(tuple(entries), frozenset(), frozenset(emails))
        conclusive = (
            platform.email_lookup_conclusive if isinstance(platform, ExplainsEmailAccess) else True
        )
        resolved = Resolved(
            tuple(entries),
            frozenset(u.id for u in found.values()),
            frozenset() if conclusive else frozenset(e for e in emails if e not in found),
        )
        self._kept[(platform.name, key)] = (now, resolved)
        return resolved

    async def ranks(self, platform: Platform) -> list[Resolved]:
        """The policy's named ranks, lowest first, as ``platform`` knows their members."""
        return [
            await self.resolve(platform, f"ranks.{level}", rule.users)
            for level, rule in enumerate(self._policy.ranks)
        ]

    async def rank_ids(self, platform: Platform) -> list[set[str]]:
        """Per named rank, the user ids its e-mail entries resolved to on ``platform``."""
        return [set(r.ids) for r in await self.ranks(platform)]

    async def protected(self, platform: Platform) -> Resolved:
        """The policy's protected entries as ``platform`` knows them."""
        entries = sorted(self._policy.protected_entries())
        return await self.resolve(platform, "protected", entries)

    async def protected_ids(self, platform: Platform) -> set[str]:
        """Ids that can never be targeted: the bot, and policy entries (ids or e-mails)."""
        return {platform.bot_user.id} | set((await self.protected(platform)).ids)
