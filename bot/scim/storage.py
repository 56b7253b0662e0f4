"""scim2-server's storage interface over the store's SCIM users (``bot.store.scim_users``).

scim2-server validates each request, applies PUT and PATCH to the stored resource and calls
this storage with the whole new state; the storage keeps it, and is where a change becomes an
offboarding: the store decides inside the write's own transaction (a deactivation, a deletion)
and this module then starts the case (``Offboarding``). Passwords are never kept.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from datetime import datetime
from typing import Any

import structlog
from scim2_models import (
    InvalidValueException,
    Meta,
    NotFoundException,
    Path,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ResponseParameters,
    SearchRequest,
    UniquenessException,
)
from scim2_models.path import CompareOperator, Comparison
from scim2_server.storage import AsyncScimStorage, SearchPage

from bot.scim.offboarding import Offboarding
from bot.store.scim_users import (
    NoSuchUser,
    ScimUser,
    ScimUsers,
    UserFields,
    UserNameTaken,
    VersionMismatch,
    Written,
)

log = structlog.get_logger(__name__)

CLIENT: ContextVar[str] = ContextVar("scim_client")
"""The authenticated SCIM client of the request being served (set by the server)."""

_EMAIL = re.compile(r"^[^@\s<>]{1,64}@[^@\s<>]+\.[^@\s<>]+$")
"""An address offboarding can look up (a domain with a dot, as ``bot.everywhere`` asks)."""
_NOT_KEPT = ("id", "meta", "password")
_FOUND_BY = {"user_name", "external_id", "id"}
"""Attributes an ``eq`` filter on which is answered from the store's index."""


def _version(version: str | None) -> int | None:
    """The number in an ETag ``W/"3"`` (None: no version asked for)."""
    if version is None:
        return None
    digits = version.removeprefix("W/").strip('"')
    if not digits.isdigit():
        raise PreconditionFailedException(detail="unknown version")
    return int(digits)


def email_of(resource: Resource[Any]) -> str | None:
    """The e-mail a directory user is offboarded by: the primary e-mail, else the work one,
    else the first; else the user name when it is an e-mail address (Okta's usual case)."""
    emails = [e for e in getattr(resource, "emails", None) or [] if e.value]
    chosen = (
        [e for e in emails if e.primary]
        + [e for e in emails if str(e.type or "").lower() == "work"]
        + emails
    )
    candidates = [str(e.value) for e in chosen] + [str(getattr(resource, "user_name", "") or "")]
    for value in candidates:
        if len(value) <= 254 and _EMAIL.match(value):
            return value.lower()
    return None


class UserStorage(AsyncScimStorage):
    """The Users of the SCIM server, kept in the store; writes may start offboardings."""

    def __init__(self, users: ScimUsers, model: type[Resource[Any]], offboarding: Offboarding):
        self._users = users
        self._model = model
        self._offboarding = offboarding
        self._user_name = Path[model]("userName").resolve()  # type: ignore[valid-type]

    def _resource(self, user: ScimUser) -> Resource[Any]:
        resource = self._model.model_validate(user.resource)
        resource.id = user.id
        resource.meta = Meta(
            resource_type="User",
            created=datetime.fromisoformat(user.created_at),
            last_modified=datetime.fromisoformat(user.modified_at),
            version=f'W/"{user.version}"',
        )
        return resource

    def _fields(self, resource: Resource[Any], email: str | None) -> UserFields:
        user_name = getattr(resource, "user_name", None)
        if not user_name:
            raise InvalidValueException(detail="userName is required")
        found = email_of(resource) or email
        if found is None:
            raise InvalidValueException(
                detail="kickbot links a directory user to an e-mail address: give emails"
                " (the primary one is used) or an e-mail address as userName"
            )
        data = resource.model_dump(mode="json")
        for key in _NOT_KEPT:
            data.pop(key, None)
        external_id = getattr(resource, "external_id", None)
        return UserFields(
            user_name=str(user_name),
            user_name_key=self._user_name.comparable(str(user_name)),  # type: ignore[union-attr]
            external_id=None if external_id is None else str(external_id),
            email=found,
            active=getattr(resource, "active", None) is not False,
            resource=data,
        )

    async def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        user = await self._users.get(resource_id)
        if user is None:
            raise NotFoundException(detail=f"User {resource_id!r} not found")
        return self._resource(user)

    async def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        scim_filter = search_request.filter
        start = search_request.start_index_0 or 0
        if scim_filter is None:
            total, page = await self._users.page(start, search_request.count)
            return SearchPage(total, [self._resource(u) for u in page])
        narrowed = self._narrowed(scim_filter)
        users = await self._users.find(**narrowed)
        found = [r for u in users if scim_filter.match(r := self._resource(u))]
        stop = None if search_request.count is None else start + search_request.count
        return SearchPage(len(found), found[start:stop])

    def _narrowed(self, scim_filter: Any) -> dict[str, str]:
        """``{column: value}`` when the filter is one ``eq`` on userName, externalId or id
        (what identity providers ask): read from the store's index, checked by the filter."""
        if scim_filter is None or not isinstance(node := scim_filter.ast, Comparison):
            return {}
        if node.op != CompareOperator.eq or not isinstance(node.value, str):
            return {}
        binding = scim_filter.resolve_comparison(node.attr_path, strict=False)
        if binding is None or binding.sub_field_name is not None:
            return {}
        if binding.field_name not in _FOUND_BY or binding.model is not self._model:
            return {}
        if binding.field_name == "user_name":
            try:
                return {"user_name_key": binding.comparable(node.value)}
            except ValueError:
                return {"user_id": ""}  # a value no user name compares equal to
        column = "user_id" if binding.field_name == "id" else binding.field_name
        return {column: node.value}

    async def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        fields = self._fields(resource, None)
        try:
            user = await self._users.create(fields, CLIENT.get())
        except UserNameTaken:
            raise UniquenessException(detail="userName is already linked") from None
        log.info("scim user linked", user=user.id, email=user.email, client=CLIENT.get(),
                 active=user.active)  # fmt: skip
        return self._resource(user)

    async def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        user_id = str(resource.id)
        current = await self._users.get(user_id)
        if current is None:
            raise NotFoundException(detail=f"User {user_id!r} not found")
        fields = self._fields(resource, current.email)
        written = await self._written(
            self._users.update(user_id, fields, CLIENT.get(), _version(expected_version))
        )
        assert written.user is not None
        if written.reactivated:
            log.warning("scim user reactivated: nothing is re-added (/undo of the case is the"
                        " way back)", user=user_id, email=written.user.email,
                        case=written.user.offboard_case, client=CLIENT.get())  # fmt: skip
        if written.offboard is not None:
            await self._offboarding.start(written.offboard)
        return self._resource(written.user)

    async def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        written = await self._written(
            self._users.delete(resource_id, CLIENT.get(), _version(expected_version))
        )
        log.info("scim user deleted", user=resource_id, client=CLIENT.get())
        if written.offboard is not None:
            await self._offboarding.start(written.offboard)

    @staticmethod
    async def _written(write: Any) -> Written:
        try:
            written: Written = await write
        except NoSuchUser:
            raise NotFoundException(detail="User not found") from None
        except VersionMismatch:
            raise PreconditionFailedException from None
        except UserNameTaken:
            raise UniquenessException(detail="userName is already linked") from None
        return written
