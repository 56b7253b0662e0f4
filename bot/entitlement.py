"""Who may run which command, from the policy in the config file.

The static policy is decided first, from the caller's identity alone: a caller it refuses
causes no state-changing platform call at all. Only when the policy lets room owners run a
command does the dispatcher make a read-only membership lookup to learn whether the caller owns
the room.

Entries may be user ids or e-mail addresses. Platforms that do not show the bot people's e-mail
addresses (Rocket.Chat without view-full-other-user-info, Slack without users:read.email,
Matrix) are handled by resolving e-mail entries to user ids (read-only look-ups, ``Resolved``);
a person who cannot be told apart from an e-mail entry counts as possibly named (``Known``), and
is refused where that could matter: fail closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Annotated, Protocol

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from bot.model import UserRef

Identity = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) else v)]
"""A user id (YAML may give it as a number) or an e-mail address."""


class CommandRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    room_owners: bool = Field(False, description="owners of the room the command is typed in")
    users: list[Identity] = Field(default_factory=list, description="ids or e-mails")
    owners_may_act_on_owners: bool | None = Field(
        None,
        description="whether a room owner may use this command on a co-owner (unset: the "
        "policy-wide setting if written, else the command's own default)",
    )


class Access(StrEnum):
    """Who may run a command before any rule is read (``Command.access``)."""

    RULE = "rule"
    """Whoever its policy rule lets (``Command.rule`` unless the policy writes one)."""
    EVERYONE = "everyone"
    """Anyone not denied (/help: it shows only what the caller may run)."""
    OWN_CASES = "own_cases"
    """Commands about a case the caller asked for: open to whoever may run the original
    command, which the handler checks by identity and the confirmed command checks again, in
    full, when it runs. A rule written for them in the policy replaces that default."""


@dataclass(frozen=True, slots=True)
class Declared:
    """What the registered commands say about their own entitlement."""

    rules: tuple[tuple[str, CommandRule], ...]
    """Default rules, by command name, in registration order (a policy's written rule for a
    command replaces its default)."""
    everyone: frozenset[str]
    own_cases: frozenset[str]


class DeclaresEntitlement(Protocol):
    """The part of a ``bot.commands.Command`` entitlement reads."""

    @property
    def name(self) -> str: ...

    @property
    def rule(self) -> CommandRule | None: ...

    @property
    def access(self) -> Access: ...


def declared_by(commands: Iterable[DeclaresEntitlement]) -> Declared:
    listed = tuple(commands)
    return Declared(
        rules=tuple((c.name, c.rule) for c in listed if c.rule is not None),
        everyone=frozenset(c.name for c in listed if c.access is Access.EVERYONE),
        own_cases=frozenset(c.name for c in listed if c.access is Access.OWN_CASES),
    )


@cache
def declared() -> Declared:
    """What kickbot's registered commands declare. The registry is ``handlers.COMMANDS`` (one
    line per command); it is imported here, when first asked, and not at the top of the
    module, because the command modules import this one (as ``bot.cli`` does)."""
    from handlers import COMMANDS

    return declared_by(COMMANDS)


def _default_rules() -> dict[str, CommandRule]:
    return {name: rule.model_copy(deep=True) for name, rule in declared().rules}


class RankRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    users: list[Identity] = Field(default_factory=list)


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    commands: dict[str, CommandRule] = Field(default_factory=_default_rules)
    deny: list[Identity] = Field(default_factory=list, description="never allowed to run anything")
    protected: list[Identity] = Field(default_factory=list, description="can never be targeted")
    protect_named_users: bool = Field(
        True, description="users named in any command rule are protected too"
    )
    ranks: list[RankRule] = Field(
        default_factory=list,
        description="named ranks, highest first; below them: room owner, then member",
    )
    owners_may_act_on_owners: bool = Field(
        False,
        description="whether a room owner may act on a co-owner; when written, for every "
        "command (unless its rule says otherwise); when not, each command's own default "
        "(/demote: yes, /kick: no)",
    )
    undo_window_minutes: int = Field(
        60, ge=0, description="how long after a case /undo may reverse it"
    )

    def model_post_init(self, _context: object) -> None:
        # A policy that names only some commands keeps the defaults for the others; a command
        # it names gets exactly the rule written (room_owners is false unless said).
        merged = _default_rules()
        merged.update(self.commands)
        self.commands = merged

    def rule(self, command: str) -> CommandRule:
        return self.commands.get(command, CommandRule())

    def protected_entries(self) -> set[str]:
        entries = {p.lower() for p in self.protected}
        if self.protect_named_users:
            for rule in self.commands.values():
                entries.update(u.lower() for u in rule.users)
        return entries


def is_named(entries: Iterable[str], user: UserRef) -> bool:
    keys = {user.id.lower()}
    if user.email:
        keys.add(user.email.lower())
    return any(e.lower() in keys for e in entries)


def is_email(entry: str) -> bool:
    """Whether a policy entry is an e-mail address (a Matrix id begins with "@": it is not)."""
    return "@" in entry[1:]


class Known(StrEnum):
    """Whether a person is one of a policy list's entries, as far as the platform lets tell."""

    NAMED = "named"
    NOT_NAMED = "not_named"
    UNKNOWN = "unknown"
    """An e-mail entry matched nobody the platform would show the bot, and the platform did not
    show the person's own e-mail address: they may be that entry."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """A policy list (``deny``, a command's ``users``, ``protected``, a rank's ``users``) as
    one platform knows it: its e-mail entries resolved to that platform's user ids."""

    entries: tuple[str, ...]
    ids: frozenset[str] = frozenset()
    """User ids the e-mail entries resolved to."""
    unresolved: frozenset[str] = frozenset()
    """E-mail entries the platform found nobody for, though it may have someone it does not
    show the bot (or it would not look them up)."""

    def match(self, user: UserRef) -> Known:
        if user.id in self.ids or is_named(self.entries, user):
            return Known.NAMED
        if self.unresolved and not user.email:
            return Known.UNKNOWN  # fail closed: never assume they are not that entry
        return Known.NOT_NAMED


class Verdict(StrEnum):
    ALLOWED = "allowed"
    DENIED_LISTED = "denied_listed"
    NEEDS_ROOM_OWNER = "needs_room_owner"
    NOT_NAMED = "not_named"
    IDENTITY_UNKNOWN = "identity_unknown"
    """The caller may be one of a list's e-mail entries, and the platform does not let tell:
    refused (``Decision.via`` names the list)."""


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    via: str = ""

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOWED


def _open(policy: Policy, command: str) -> str | None:
    """Why ``command`` needs no rule (``Decision.via``), from its ``Command.access``; None:
    its rule decides."""
    found = declared()
    if command in found.everyone:
        return "everyone"
    if command in found.own_cases and command not in policy.commands:
        return "for your own cases"
    return None


def decide_static(policy: Policy, command: str, caller: UserRef) -> Decision:
    """Decide from identity alone; NEEDS_ROOM_OWNER means "ask the platform, read-only"."""
    if is_named(policy.deny, caller):
        return Decision(Verdict.DENIED_LISTED)
    if (open_to := _open(policy, command)) is not None:
        return Decision(Verdict.ALLOWED, open_to)
    rule = policy.rule(command)
    if is_named(rule.users, caller):
        return Decision(Verdict.ALLOWED, "named in the policy")
    if rule.room_owners:
        return Decision(Verdict.NEEDS_ROOM_OWNER)
    return Decision(Verdict.NOT_NAMED)


def deny_key() -> str:
    return "policy.deny"


def users_key(command: str) -> str:
    return f"policy.commands.{command}.users"


def decide_resolved(
    policy: Policy, command: str, caller: UserRef, deny: Resolved, users: Resolved
) -> Decision:
    """``decide_static`` with the policy's e-mail entries resolved to the platform's user ids
    (``deny`` and the command's ``users``): a caller who may be an e-mail entry the platform
    does not let match is refused (IDENTITY_UNKNOWN), never let through. NEEDS_ROOM_OWNER with
    a ``via``: only an owner goes ahead; anyone else is refused as IDENTITY_UNKNOWN for it."""
    denied = deny.match(caller)
    if denied is Known.NAMED:
        return Decision(Verdict.DENIED_LISTED)
    if denied is Known.UNKNOWN:
        return Decision(Verdict.IDENTITY_UNKNOWN, deny_key())
    if (open_to := _open(policy, command)) is not None:
        return Decision(Verdict.ALLOWED, open_to)
    rule = policy.rule(command)
    named = users.match(caller)
    if named is Known.NAMED:
        return Decision(Verdict.ALLOWED, "named in the policy")
    unknown = users_key(command) if named is Known.UNKNOWN else ""
    if rule.room_owners:
        return Decision(Verdict.NEEDS_ROOM_OWNER, unknown)
    if unknown:
        return Decision(Verdict.IDENTITY_UNKNOWN, unknown)
    return Decision(Verdict.NOT_NAMED)


def decide(policy: Policy, command: str, caller: UserRef, caller_is_owner: bool) -> Decision:
    first = decide_static(policy, command, caller)
    if first.verdict is Verdict.NEEDS_ROOM_OWNER:
        if caller_is_owner:
            return Decision(Verdict.ALLOWED, "room owner")
        return first
    return first


OWNER_RANK = "room owner"
MEMBER_RANK = "member"


@dataclass(frozen=True, slots=True, order=True)
class Rank:
    """Lower ``level`` = higher rank."""

    level: int
    name: str


def rank_of(policy: Policy, user: UserRef, rank_ids: Sequence[set[str]], is_owner: bool) -> Rank:
    """``rank_ids[level]``: user ids that rank's e-mail entries resolved to (the dispatcher
    looks them up once per platform); ids and e-mails written in the policy match directly."""
    for level, rule in enumerate(policy.ranks):
        ids = rank_ids[level] if level < len(rank_ids) else set()
        if user.id in ids or is_named(rule.users, user):
            return Rank(level, rule.name)
    n = len(policy.ranks)
    return Rank(n, OWNER_RANK) if is_owner else Rank(n + 1, MEMBER_RANK)


def owners_may_act_on_owners(policy: Policy, command: str, default: bool) -> bool:
    """Whether a room owner may run ``command`` on a co-owner: the command's rule if it says,
    else the policy-wide setting if the policy writes it, else the command's ``default``."""
    said = policy.rule(command).owners_may_act_on_owners
    if said is not None:
        return said
    if "owners_may_act_on_owners" in policy.model_fields_set:
        return policy.owners_may_act_on_owners
    return default


def may_act_on(
    policy: Policy,
    caller: Rank,
    target: Rank,
    *,
    in_room: bool = True,
    owners_on_owners: bool | None = None,
) -> bool:
    """Strictly higher rank only. Commands that are not about a room (IB groups) compare only
    the named ranks: a target with no named rank may be acted on. Between two room owners,
    ``owners_on_owners`` decides (None: ``policy.owners_may_act_on_owners``)."""
    if not in_room and target.level >= len(policy.ranks):
        return True
    if caller.level < target.level:
        return True
    both_owners = caller.name == target.name == OWNER_RANK
    if owners_on_owners is None:
        owners_on_owners = policy.owners_may_act_on_owners
    return both_owners and owners_on_owners
