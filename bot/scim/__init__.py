"""SCIM 2.0 (RFC 7643/7644) for identity providers: ``/scim/v2`` with Users, so that deactivating
or deleting a person in Okta or Entra ID starts kickbot's offboarding on every platform.

``settings`` (the ``scim:`` section) is read by the core and imports nothing more; the server
(``server``), its SCIM service and storage (``service``, ``storage``) are imported only when the
section is set, with the ``scim`` extra installed. See docs/scim.md.
"""
