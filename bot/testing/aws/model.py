"""A botocore service model (rest-json) as the contract of an AWS double.

AWS publishes no OpenAPI for these services; their machine-readable contract is botocore's JSON
model. A ``ServiceSpec`` routes an HTTP request to the model's operation by ``http.method`` and
``http.requestUri`` (including fixed query parts such as ``?operation=`` or ``?scope=``),
rebuilds the operation's input from the URI labels, query string, headers and JSON body as a
rest-json server would, and checks it with botocore's own ``ParamValidator`` (required members,
unknown members, types, minimums) plus what that validator leaves out (enums, patterns,
maximums). A double's answers are checked against output and error shapes the same way.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.validate import ParamValidator

ERROR_CODES = {
    "AccessDeniedException": "AccessDenied",
    "BadRequestException": "BadRequest",
    "ConflictException": "Conflict",
    "ForbiddenException": "Forbidden",
    "NotFoundException": "NotFound",
    "ResourceLimitExceededException": "ResourceLimitExceeded",
    "ServiceFailureException": "ServiceFailure",
    "ServiceUnavailableException": "ServiceUnavailable",
    "ThrottledClientException": "Throttled",
    "UnauthorizedClientException": "Unauthorized",
    "UnprocessableEntityException": "Unprocessable",
}
"""The ErrorCode value each of the Chime services' exception shapes carries in its "Code"."""


def from_file(path: Path, name: str) -> ServiceModel:
    """A model vendored as a file (byte-identical to botocore's)."""
    return ServiceModel(json.loads(path.read_bytes()), service_name=name)


@functools.cache
def installed(name: str) -> ServiceModel:
    """The model of the botocore installed here (``chime-sdk-messaging``…)."""
    return botocore.session.get_session().get_service_model(name)


@dataclass(frozen=True)
class Route:
    operation: str
    method: str
    pattern: re.Pattern[str]
    fixed_query: tuple[tuple[str, str], ...]
    model: OperationModel


def _group(label: str) -> str:
    return "L_" + re.sub(r"\W", "_", label)


class ServiceSpec:
    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        found = [self._route(name) for name in model.operation_names]
        # An operation pinned by a fixed query part wins over the plain one on the same path.
        self.routes = tuple(sorted(found, key=lambda r: -len(r.fixed_query)))

    def _route(self, name: str) -> Route:
        operation = self.model.operation_model(name)
        path, _, query = str(operation.http["requestUri"]).partition("?")
        regex = ""
        for literal, label in re.findall(r"([^{]*)(?:\{([^}]+)\})?", path):
            regex += re.escape(literal)
            if label.endswith("+"):
                regex += f"(?P<{_group(label[:-1])}>.+)"
            elif label:
                regex += f"(?P<{_group(label)}>[^/]+)"
        fixed = tuple((k, v) for k, _, v in (p.partition("=") for p in query.split("&") if p))
        return Route(name, str(operation.http["method"]), re.compile(regex + "$"), fixed, operation)

    def match(
        self, method: str, path: str, query: Mapping[str, str]
    ) -> tuple[Route, dict[str, str]] | None:
        """The operation for a request and its URI labels (decoded), or None. ``path`` is the
        raw (still percent-encoded) path: an ARN label carries its ``/`` as ``%2F``."""
        for route in self.routes:
            if route.method != method:
                continue
            found = route.pattern.match(path)
            if found is None:
                continue
            if any(query.get(k) != v for k, v in route.fixed_query):
                continue
            labels = {}
            shape = route.model.input_shape
            for member in shape.members.values() if shape is not None else ():
                if member.serialization.get("location") == "uri":
                    name = member.serialization["name"]
                    labels[name] = unquote(found.group(_group(name)))
            return route, labels
        return None

    def error_status(self, name: str) -> int:
        shape = self.model.shape_for(name)
        return int(shape.metadata["error"]["httpStatusCode"])


# --- requests ---------------------------------------------------------------------------------


def request_params(
    route: Route,
    labels: Mapping[str, str],
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
) -> tuple[dict[str, Any], list[str]]:
    """The operation's input as botocore would have been given it, and what is wrong with it."""
    problems: list[str] = []
    shape = route.model.input_shape
    pairs = [(k, v) for k, v in query if (k, v) not in route.fixed_query]
    payload: dict[str, Any] = {}
    if body:
        try:
            loaded = json.loads(body)
        except ValueError:
            return {}, ["the body is not JSON"]
        if not isinstance(loaded, dict):
            return {}, ["the body is not a JSON object"]
        payload = loaded
    if shape is None:
        if payload or pairs:
            problems.append(f"{route.operation} takes no input")
        return {}, problems
    params: dict[str, Any] = {}
    known_query: set[str] = set()
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            params[name] = labels[wire]
        elif location == "querystring":
            known_query.add(wire)
            values = [v for k, v in pairs if k == wire]
            if values:
                params[name] = _from_text(values, member, problems, f"?{wire}")
        elif location == "header":
            if wire in headers:
                params[name] = _from_text([headers[wire]], member, problems, wire)
        elif name in payload:
            params[name] = payload.pop(name)
    for key in payload:
        problems.append(f"unknown member {key!r} in the body of {route.operation}")
    for key in sorted({k for k, _ in pairs} - known_query):
        problems.append(f"unknown query parameter {key!r} for {route.operation}")
    problems.extend(check(params, shape))
    return params, problems


def _from_text(values: list[str], shape: Shape, problems: list[str], where: str) -> Any:
    kind = shape.type_name
    if kind == "list":
        return [_from_text([v], shape.member, problems, where) for v in values]
    value = values[-1]
    if kind in ("integer", "long"):
        try:
            return int(value)
        except ValueError:
            problems.append(f"{where}: {value!r} is not an integer")
            return value
    if kind == "boolean":
        if value not in ("true", "false"):
            problems.append(f"{where}: {value!r} is not a boolean")
        return value == "true"
    return value


# --- any value against a shape ----------------------------------------------------------------


def check(value: dict[str, Any], shape: Shape) -> list[str]:
    """Problems of ``value`` under ``shape``: botocore's validator, then enums/patterns/maximums."""
    report = ParamValidator().validate(value, shape)
    problems = report.generate_report().splitlines() if report.has_errors() else []
    problems.extend(_constraints(value, shape, shape.name))
    return problems


def _constraints(value: Any, shape: Shape, where: str) -> list[str]:
    out: list[str] = []
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                out.extend(_constraints(value[name], member, f"{where}.{name}"))
    elif kind == "list" and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            out.append(f"{where}: more than {meta['max']} items")
        for n, item in enumerate(value):
            out.extend(_constraints(item, shape.member, f"{where}[{n}]"))
    elif kind == "string" and isinstance(value, str):
        enum = getattr(shape, "enum", None) or []
        if enum and value not in enum:
            out.append(f"{where}: {value!r} is not one of {', '.join(enum)}")
        if "pattern" in meta and re.fullmatch(meta["pattern"], value, re.DOTALL) is None:
            out.append(f"{where}: {value!r} does not match {meta['pattern']}")
        if "max" in meta and len(value) > meta["max"]:
            out.append(f"{where}: longer than {meta['max']}")
    elif kind in ("integer", "long") and isinstance(value, int) and value > meta.get("max", value):
        out.append(f"{where}: {value} is over {meta['max']}")
    return out


# --- responses --------------------------------------------------------------------------------


def check_output(route: Route, status: int, data: dict[str, Any]) -> list[str]:
    model = route.model
    problems = []
    expected = int(model.http.get("responseCode", 200))
    if status != expected:
        problems.append(f"{route.operation} answered {status}, the model says {expected}")
    if model.output_shape is None:
        if data:
            problems.append(f"{route.operation} has no output, yet a body was sent")
        return problems
    return problems + check(data, model.output_shape)


def error_shape(route: Route, name: str) -> Shape | None:
    """The operation's declared error shape called ``name`` (None if it declares none such)."""
    return next((s for s in route.model.error_shapes if s.name == name), None)
