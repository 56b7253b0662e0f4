"""What kickbot serves over SCIM, described with scim2-models and served by scim2-server.

Users only (with the enterprise extension Entra ID and Okta send): kickbot needs a directory
user's e-mail and whether it is active, nothing of groups. PATCH and filters are served; bulk,
sorting, ETags and password changes are not (docs/scim.md says why). The policy accepts what
Entra ID sends (a PATCH ``remove`` whose value selects the entry; a path filter that matches no
entry makes one); ``"active": "False"`` is read as false by the models' boolean parsing. An
attribute no schema declares (an identity provider's custom mapping) is dropped, not refused:
refusing would leave that person unlinked, and so never offboarded, for an attribute kickbot
does not use.
"""

from __future__ import annotations

from typing import Annotated, Any

from scim2_models import (
    AnyExtension,
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    Email,
    ETag,
    Extension,
    Filter,
    Patch,
    Required,
    Resource,
    ResourceType,
    ResponseParameters,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)
from scim2_models.urn import URN
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService

MAX_RESULTS = 200
"""The most resources one list answer holds (``count`` above is lowered to it)."""


class Enterprise(Extension):
    """The enterprise extension (RFC 7643 §4.3) without ``manager``. Entra ID sends the
    manager in forms the RFC's model refuses (an object without ``$ref`` on create, a bare id
    in a PATCH ``Replace``, a ``Remove`` with a value); a refusal there fails the user's whole
    provisioning, and Entra ID quarantines an application that fails too often, which would
    stop deprovisioning too. kickbot has no use for a manager: without the attribute, what is
    sent about it is dropped like any undeclared attribute."""

    __schema__ = URN("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
    employee_number: str | None = None
    cost_center: str | None = None
    organization: str | None = None
    division: str | None = None
    department: str | None = None


class LinkedEmail(Email):
    """An e-mail entry must hold its address."""

    value: Annotated[str | None, Required.true] = None


class LinkedUser(User[AnyExtension]):
    """The core User schema with ``emails`` required: kickbot links a directory user to an
    e-mail address (the one it offboards by), so a user without one is refused when it is
    created (400 invalidValue, which the identity provider shows in its provisioning log),
    not accepted and then impossible to offboard. The published schema says so, so clients
    (and scim2-tester) send one."""

    emails: Annotated[list[LinkedEmail] | None, Required.true] = None  # type: ignore[assignment]


USER = LinkedUser[Enterprise]


def provider() -> ScimProvider:
    config = ServiceProviderConfig(
        documentation_uri="https://github.com/kickbot/kickbot/blob/main/docs/scim.md",
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="Authorization: Bearer <the token configured for the client>",
                primary=True,
            )
        ],
    )
    policy = ScimPolicy(
        unknown=ScimPolicy.Unknown.ignore,
        remove_value_as_filter=ScimPolicy.RemoveValue.apply,
        unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
    )
    return ScimProvider(
        models=[LinkedUser, Enterprise],
        resource_types=[ResourceType.from_resource(USER)],
        config=config,
        policy=policy,
    )


class KickbotScimService(ScimService):
    def patch_response(
        self,
        base_url: str,
        resource: Resource[Any],
        response_parameters: ResponseParameters[Any],
    ) -> ScimResponse:
        """200 with the user, always: Okta reads the user back from a PATCH's answer (RFC 7644
        §3.5.2 allows it; a 204 is only a MAY)."""
        published = self.publish(base_url, resource)
        return self.resource_response(
            published, Context.RESOURCE_REPLACEMENT_RESPONSE, response_parameters
        )
