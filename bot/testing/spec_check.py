"""Check HTTP exchanges against official OpenAPI specs (Symphony's are vendored in ``specs/``).

openapi-core reads OpenAPI 3 only; the pod and login specs were converted from Swagger 2.0.
Everything here fails closed: any exception raised by the validator is reported as a violation,
never as a pass (a Swagger 2.0 spec, for instance, makes every request fail with
``SpecError('Unmarshaller class not found')``, which must not read as "valid").
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from aiohttp import web
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.response.exceptions import MissingData
from werkzeug.datastructures import Headers, ImmutableMultiDict

SpecName = Literal["pod", "agent", "login"]

SPEC_DIR = Path(__file__).parent / "specs"
_SPEC_FILES: dict[SpecName, str] = {
    "pod": "pod-api-public.oas3.yaml",
    "agent": "agent-api-public.yaml",
    "login": "login-api-public.oas3.yaml",
}
# The login spec is served twice: by the pod (/login) and by the key manager (/relay).
_SERVERS: dict[SpecName, tuple[str, ...]] = {
    "pod": ("/pod",),
    "agent": ("/agent",),
    "login": ("/login", "/relay"),
}
# The official pod spec fails strict spec validation ('KEEP' is not of type 'object', a `default`
# on an object schema), so it is loaded without it. The others pass.
_VALIDATE_SPEC: dict[SpecName, bool] = {"pod": False, "agent": True, "login": True}

PREFIXES: dict[str, SpecName] = {
    prefix: name for name, prefixes in _SERVERS.items() for prefix in prefixes
}


class SpecViolation(AssertionError):
    """Raised when a double saw traffic that breaks the spec (or its own rules)."""

    def __init__(self, violations: Iterable[str]) -> None:
        self.violations = list(violations)
        super().__init__("\n".join(self.violations) or "spec violation")


def _stringify_keys(node: Any) -> Any:
    # PyYAML reads `200:` as the int 200; openapi-core wants string keys.
    if isinstance(node, dict):
        return {str(key): _stringify_keys(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_stringify_keys(value) for value in node]
    return node


@dataclass(frozen=True)
class SpecSource:
    """An OpenAPI 3 file and the path prefixes it is served under on the double."""

    path: Path
    servers: tuple[str, ...]
    validate_spec: bool = True


@functools.cache
def load_openapi(source: SpecSource) -> OpenAPI:
    """Parse a spec once per process (about 0.1 s for the 450 KB pod spec)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with source.path.open(encoding="utf-8") as stream:
        if source.path.suffix == ".json":
            import json

            document = json.load(stream)
        else:
            document = _stringify_keys(yaml.load(stream, Loader=loader))
    version = str(document.get("openapi", ""))
    if not version.startswith("3."):
        raise SpecViolation([f"{source.path.name} is not OpenAPI 3 (openapi={version!r})"])
    document["servers"] = [{"url": url} for url in source.servers]
    config = Config() if source.validate_spec else Config(spec_validator_cls=None)
    return OpenAPI.from_dict(document, config=config)


def load_spec(name: SpecName) -> OpenAPI:
    return load_openapi(
        SpecSource(SPEC_DIR / _SPEC_FILES[name], _SERVERS[name], _VALIDATE_SPEC[name])
    )


@dataclass
class SpecRequest:
    """openapi-core's request protocol, built from what the server already read.

    ``content_type`` is the raw header (multipart needs its boundary, which aiohttp's
    ``request.content_type`` drops).
    """

    method: str
    path: str
    body: bytes | None
    content_type: str
    query: Iterable[tuple[str, str]] = ()
    headers: Iterable[tuple[str, str]] = ()
    host_url: str = "http://127.0.0.1"
    parameters: RequestParameters = field(init=False)

    def __post_init__(self) -> None:
        self.method = self.method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(self.query)), header=Headers(list(self.headers))
        )

    @classmethod
    def of(cls, request: web.Request, body: bytes) -> SpecRequest:
        """What a double received, as read: the path undecoded (a ``%2F`` inside an id stays
        in its segment), the raw body and Content-Type, every query pair and header."""
        return cls(
            request.method,
            request.rel_url.raw_path,
            body or None,
            request.headers.get("Content-Type", ""),
            query=request.query.items(),
            headers=request.headers.items(),
        )


@dataclass(frozen=True)
class SpecResponse:
    """openapi-core's response protocol."""

    status_code: int
    data: bytes | None
    content_type: str
    headers: Mapping[str, str] = field(default_factory=dict)


def describe_error(exc: BaseException) -> str:
    """Flatten an openapi-core exception and its causes into one line."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = str(current).strip() or repr(current)
        if not any(text in part for part in parts):  # causes often repeat their effect's text
            parts.append(f"{type(current).__name__}: {text}")
        for schema_error in getattr(current, "schema_errors", ()) or ():
            message = getattr(schema_error, "message", str(schema_error))
            location = "/".join(str(p) for p in getattr(schema_error, "absolute_path", ()))
            detail = f"at '{location}': {message}" if location else message
            if detail not in parts:
                parts.append(detail)
        current = current.__cause__ or current.__context__
    return " <- ".join(parts)


def spec_for_path(path: str) -> SpecName | None:
    """Which spec serves ``path`` (by its first segment), or None."""
    prefix = "/" + path.lstrip("/").split("/", 1)[0]
    return PREFIXES.get(prefix)


def validate_request(spec: OpenAPI, request: SpecRequest) -> str | None:
    """What is wrong with ``request`` under ``spec``, or None. Fails closed."""
    try:
        spec.validate_request(request)
    except Exception as exc:  # any validator failure is a violation, never a pass
        return describe_error(exc)
    return None


def validate_response(spec: OpenAPI, request: SpecRequest, response: SpecResponse) -> str | None:
    """What is wrong with ``response`` to ``request`` under ``spec``, or None. Fails closed."""
    try:
        spec.validate_response(request, response)
    except MissingData:
        # Spec defect: DELETE /v5/datafeeds/{id} declares a JSON V2Error body on its 204, but a
        # 204 has no body (RFC 9110 §15.3.5). Every other check of a 204 still applies.
        if response.status_code != 204 or response.data:
            return "MissingData: the response has no body"
    except Exception as exc:  # any validator failure is a violation, never a pass
        return describe_error(exc)
    return None


def check_request(request: SpecRequest) -> str | None:
    """Return a description of what is wrong with ``request``, or None if the spec accepts it."""
    name = spec_for_path(request.path)
    if name is None:
        return f"no spec serves {request.path}"
    return validate_request(load_spec(name), request)


def check_response(request: SpecRequest, response: SpecResponse) -> str | None:
    """Return a description of what is wrong with ``response`` to ``request``, or None."""
    name = spec_for_path(request.path)
    if name is None:
        return f"no spec serves {request.path}"
    return validate_response(load_spec(name), request, response)


@functools.cache
def self_test() -> None:
    """Prove, once per process, that the validators reject bad traffic and accept good traffic.

    A validator that silently accepts everything (wrong spec version, a spec that no longer
    loads, an openapi-core upgrade that changes behaviour) would make every double "pass".
    """
    headers = [("sessionToken", "t"), ("Content-Type", "application/json")]
    path = "/pod/v1/room/abc/membership/remove"
    good = SpecRequest("POST", path, b'{"id": 1}', "application/json", headers=headers)
    bad = SpecRequest("POST", path, b'{"id": "abc"}', "application/json", headers=headers)
    no_token = SpecRequest("POST", path, b'{"id": 1}', "application/json")
    read = "/agent/v5/datafeeds/x_f/read"
    bad_agent = SpecRequest("POST", read, b'{"ackId": 5}', "application/json", headers=headers)
    bad_login = SpecRequest("POST", "/relay/pubkey/authenticate", b"[]", "application/json")
    bad_response = SpecResponse(200, b'{"format": "HTML"}', "application/json")
    problems = []
    if (error := check_request(good)) is not None:
        problems.append(f"self-test: a valid request was rejected: {error}")
    for request in (bad, no_token, bad_agent, bad_login):
        if check_request(request) is None:
            problems.append(f"self-test: an invalid request passed: {request}")
    if check_response(good, bad_response) is None:
        problems.append("self-test: an invalid response passed")
    if problems:
        raise SpecViolation(problems)
