"""Slack's errors as kickbot's PlatformError tree, each with a sentence a room can act on.

Slack answers errors with HTTP 200 and ``{"ok": false, "error": "<code>"}`` (slack_sdk raises
``SlackApiError``); a rate limit is HTTP 429 with ``Retry-After``. The code is kept at the end
of every sentence so that an admin can look it up.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import errors

_Kind = type[errors.PlatformError]

_KICK: dict[str, tuple[_Kind, str]] = {
    "cant_kick_self": (errors.BadRequest, "Slack does not let the bot remove itself"),
    "not_in_channel": (errors.BadRequest, "they are not in this channel"),
    "cant_kick_from_general": (
        errors.BadRequest,
        "nobody can be removed from the workspace's general channel; Slack forbids it",
    ),
    "restricted_action": (
        errors.Forbidden,
        "the workspace setting “People who can remove members from channels” does not allow "
        "the bot to. A workspace owner or admin can change it in Workspace settings → "
        "Permissions → Channel Management (Slack's default allows only owners and admins to "
        "remove people from public channels)",
    ),
    "method_not_supported_for_channel_type": (
        errors.BadRequest,
        "Slack cannot remove people from this kind of conversation (a direct message or group "
        "DM has no membership to change)",
    ),
    "not_supported": (
        errors.BadRequest,
        "Slack does not support removing this user from this channel",
    ),
}

_INVITE: dict[str, tuple[_Kind, str]] = {
    "already_in_channel": (errors.BadRequest, "they are already in this channel"),
    "cant_invite": (errors.Forbidden, "Slack does not let the bot add this user here"),
    "cant_invite_self": (errors.BadRequest, "the bot cannot add itself"),
    "user_is_ultra_restricted": (
        errors.Forbidden,
        "this single-channel guest cannot be added to another channel",
    ),
}

_ANY: dict[str, tuple[_Kind, str]] = {
    "user_not_found": (errors.NotFound, "Slack knows no such user in this workspace"),
    "channel_not_found": (
        errors.NotFound,
        "Slack cannot find this channel for the bot; if it is private, invite the bot first",
    ),
    "not_in_channel": (
        errors.Forbidden,
        "the bot is not a member of this channel; invite it (/invite @kickbot)",
    ),
    "is_archived": (errors.BadRequest, "this channel is archived"),
    "not_authed": (
        errors.Unauthorized,
        "Slack received no token from the bot; check slack.bot_token",
    ),
    "invalid_auth": (
        errors.Unauthorized,
        "Slack refused the bot's token (wrong, or for another workspace); check slack.bot_token",
    ),
    "token_revoked": (
        errors.Unauthorized,
        "the bot's token was revoked; reinstall the app and update slack.bot_token",
    ),
    "account_inactive": (
        errors.Unauthorized,
        "the bot's account is deactivated or the app was uninstalled; reinstall the app",
    ),
    "not_allowed_token_type": (
        errors.Unauthorized,
        "this call needs the bot token (xoxb-…); check slack.bot_token",
    ),
    "user_is_bot": (errors.BadRequest, "Slack does not allow this for bot users"),
    "user_disabled": (errors.NotFound, "this user's Slack account is deactivated"),
    "user_is_restricted": (errors.Forbidden, "Slack does not allow this for guest accounts"),
}


def from_slack(
    method: str, data: dict[str, Any], status: int, retry_after: str | None
) -> errors.PlatformError:
    code = str(data.get("error") or f"HTTP {status}")
    raw = json.dumps(data)
    if status == 429 or code in ("ratelimited", "rate_limited"):
        seconds = float(retry_after) if retry_after and retry_after.isdigit() else None
        return errors.RateLimited(
            f"Slack is rate-limiting {method}; try again later (Slack: {code})",
            retry_after=seconds,
            response=raw,
        )
    if code == "missing_scope":
        needed = str(data.get("needed") or "?")
        return errors.Forbidden(
            f"the bot's token lacks the OAuth scope {needed}: add it under OAuth & Permissions → "
            f"Bot Token Scopes and reinstall the app (Slack: missing_scope for {method})",
            response=raw,
        )
    specific = {"conversations.kick": _KICK, "conversations.invite": _INVITE}.get(method, {})
    table = {**_ANY, **specific}
    if code in table:
        kind, sentence = table[code]
        return kind(f"{sentence} (Slack: {code})", response=raw)
    if status >= 500:
        return errors.Unavailable(f"Slack failed (Slack: {code})", status=status, response=raw)
    return errors.BadRequest(f"Slack refused {method} (Slack: {code})", response=raw)


def to_platform_error(method: str, exc: Exception) -> errors.PlatformError:
    """The PlatformError for an exception raised by a slack_sdk call; re-raises anything else."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        data = response.data if isinstance(response.data, dict) else {"error": str(response.data)}
        headers = response.headers or {}
        found = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
        retry_after = str(found[0] if isinstance(found, list) and found else found or "") or None
        return from_slack(method, data, int(response.status_code), retry_after)
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | SlackClientError):
        return errors.Unavailable(f"cannot reach Slack for {method}: {exc!r}", status=503)
    raise exc
