"""The botocore model ``chime`` 2018-05-01 as the contract of the Chime double (vendored
byte-identical in ``specs/chime-service-2.json``), checked by ``bot.testing.aws.model``."""

from __future__ import annotations

import functools
from collections.abc import Mapping

from botocore.model import ServiceModel

from bot.testing.aws.model import (
    ERROR_CODES,
    Route,
    ServiceSpec,
    check,
    check_output,
    error_shape,
    from_file,
    request_params,
)
from bot.testing.spec_check import SPEC_DIR

MODEL_PATH = SPEC_DIR / "chime-service-2.json"

__all__ = [
    "ERROR_CODES",
    "MODEL_PATH",
    "Route",
    "check",
    "check_output",
    "error_shape",
    "error_status",
    "match",
    "request_params",
    "service_model",
]


@functools.cache
def spec() -> ServiceSpec:
    return ServiceSpec(from_file(MODEL_PATH, "chime"))


def service_model() -> ServiceModel:
    return spec().model


def match(method: str, path: str, query: Mapping[str, str]) -> tuple[Route, dict[str, str]] | None:
    return spec().match(method, path, query)


def error_status(name: str) -> int:
    return spec().error_status(name)
