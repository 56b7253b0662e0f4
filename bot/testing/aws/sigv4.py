"""Check a request's SigV4 ``Authorization`` header by recomputing it with botocore's signer.

The canonical request is rebuilt from what arrived (method, undecoded path, decoded query
pairs, the headers named in ``SignedHeaders``, the body) and signed with the double's secret for
the access key named in the credential scope; any difference in any signed part changes the
signature. Scope (date, region, service) and clock skew are checked as AWS does.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request,\s*SignedHeaders=(?P<signed>[a-z0-9;_-]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)
MAX_SKEW_SECONDS = 15 * 60  # AWS refuses older signatures ("Signature expired")


def verify(
    *,
    method: str,
    raw_path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    secrets: Mapping[str, str],
    region: str,
    service: str,
    now: datetime | None = None,
) -> str | None:
    """What is wrong with the request's signature, or None if it is genuine."""
    header = headers.get("Authorization")
    if not header:
        return "no Authorization header (MissingAuthenticationToken)"
    found = _AUTH.match(header.strip())
    if found is None:
        return f"malformed Authorization header: {header[:60]!r}"
    key, amz_date = found["key"], headers.get("X-Amz-Date", "")
    if (problem := scope_problem(found, amz_date, secrets, region, service)) is not None:
        return problem
    skew = abs(((now or datetime.now(UTC)) - signed_at(amz_date)).total_seconds())
    if skew > MAX_SKEW_SECONDS:
        return f"signature expired: X-Amz-Date is {skew:.0f} s away"
    signed = found["signed"].split(";")
    if "host" not in signed or "x-amz-date" not in signed:
        return f"SignedHeaders must include host and x-amz-date: {found['signed']}"
    missing = [h for h in signed if h not in headers]
    if missing:
        return f"signed headers not in the request: {missing}"
    request = AWSRequest(
        method=method,
        url=f"https://{headers['host']}{raw_path.split('?', 1)[0]}",
        data=body or None,
        headers={h: headers[h] for h in signed},
        params=list(query),
    )
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(key, secrets[key]), service, region)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, found["signature"]):
        return "the signature does not match the request (SignatureDoesNotMatch)"
    return None


def scope_problem(
    scope: re.Match[str], amz_date: str, secrets: Mapping[str, str], region: str, service: str
) -> str | None:
    """What is wrong with a credential scope (the groups ``key``, ``date``, ``region`` and
    ``service``) and its ``X-Amz-Date``, whether in a header or a presigned URL; None: nothing."""
    key = scope["key"]
    if key not in secrets:
        return f"unknown access key {key!r} (UnrecognizedClientException)"
    if scope["region"] != region or scope["service"] != service:
        return f"credential scope is {scope['region']}/{scope['service']}, not {region}/{service}"
    try:
        signed_at(amz_date)
    except ValueError:
        return f"missing or malformed X-Amz-Date: {amz_date!r}"
    if amz_date[:8] != scope["date"]:
        return "X-Amz-Date does not match the credential scope's date"
    return None


def signed_at(amz_date: str) -> datetime:
    """The time an ``X-Amz-Date`` (``20260102T030405Z``) names (ValueError: it names none)."""
    return datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def tamper(header: str) -> str:
    """The same Authorization header with a signature that is wrong by one digit (tests)."""
    head, _, signature = header.rpartition("Signature=")
    last = "0" if signature[-1] != "0" else "1"
    return f"{head}Signature={signature[:-1]}{last}"
