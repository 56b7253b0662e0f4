"""Every error the ``chime-sdk-messaging`` and ``chime-sdk-identity`` models declare, as a
sentence a room can act on; the error's code and AWS's own message are kept after it.

botocore raises ``ClientError`` carrying the error shape's name (``x-amzn-ErrorType``), the HTTP
status and the headers; a connection that fails raises a ``BotoCoreError``; input botocore's
validator refuses raises ``ParamValidationError`` before anything is sent.
"""

from __future__ import annotations

from typing import Any

import structlog
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from bot import errors
from bot.platforms import aws

log = structlog.get_logger(__name__)

SERVICE = "Amazon Chime SDK"

SENTENCES: dict[str, str] = {
    "BadRequestException": f"{SERVICE} found the request invalid for this channel or member",
    "ConflictException": (
        "it conflicts with the channel as it is now (already a member or moderator, or another"
        " change to it under way)"
    ),
    "ForbiddenException": (
        "the bot may not do this here: its AppInstanceUser must be a moderator of the channel"
        " (or an AppInstanceAdmin), and its IAM policy must allow the call"
    ),
    "NotFoundException": f"{SERVICE} knows no such channel, member or moderator",
    "ResourceLimitExceededException": (
        "a limit of the AppInstance is reached (members or moderators per channel, channels"
        " per user); raise it in Service Quotas or make room first"
    ),
    "ServiceFailureException": f"{SERVICE} failed on its side (500); try again",
    "ServiceUnavailableException": f"{SERVICE} is unavailable now (503), even after retries",
    "ThrottledClientException": (
        f"{SERVICE} throttled the bot's calls (429) even after retries; the API rates are"
        " adjustable in Service Quotas"
    ),
    "UnauthorizedClientException": (
        f"{SERVICE} refused the bot's AWS credentials (401): check them and that their IAM"
        " policy allows the chime: calls"
    ),
}
"""The error shapes both models declare, each operation's ``errors`` (tests check it)."""


def from_client_error(operation: str, exc: ClientError) -> errors.PlatformError:
    response: dict[str, Any] = exc.response
    error = response.get("Error") or {}
    meta = response.get("ResponseMetadata") or {}
    code = str(error.get("Code") or "")
    message = str(error.get("Message") or "")
    status = int(meta.get("HTTPStatusCode") or 0)
    sentence = SENTENCES.get(code, f"{SERVICE} answered {code or f'HTTP {status}'}")
    detail = f"{sentence} ({code}: {message})" if message else f"{sentence} ({code})"
    log.warning("chime sdk refused", call=operation, status=status, code=code, message=message)
    raw = f"{status} {code}: {message}"
    if status == 429 or code == "ThrottledClientException":
        headers = meta.get("HTTPHeaders") or {}
        hint = aws.retry_after(headers.get("retry-after"))
        return errors.RateLimited(detail, retry_after=hint, response=raw)
    return errors.from_status(status or 500, detail, raw)


def from_botocore(operation: str, exc: BotoCoreError) -> errors.PlatformError:
    if isinstance(exc, ParamValidationError):
        # botocore's own check of the input, before sending: a value kickbot should not send.
        return errors.BadRequest(f"{SERVICE} cannot take this input ({exc})")
    # No answer (refused, reset, timed out): as a 503, which is tried again.
    return errors.Unavailable(f"cannot reach {SERVICE} ({operation}): {exc}", status=503)
