"""/Roles and /Entitlements: the org's seat types, read-only (scim.seat_catalog)."""
from __future__ import annotations

from flask import Response, g, request

from app.context import current_settings
from app.scim_api.request import request_transaction
from app.scim_api.responses import scim_json
from scim import seat_catalog
from scim.schemas import ENTITLEMENT_TYPE, ROLE_TYPE, ResourceType


def _list(resource_type: ResourceType) -> Response:
    settings = current_settings()
    with request_transaction() as session:
        body = seat_catalog.listing(session, g.org_id, resource_type, request.args,
                                    settings.scim_base_url, max_count=settings.max_results)
    return scim_json(body)


def _get(resource_type: ResourceType, key: str) -> Response:
    with request_transaction() as session:
        body = seat_catalog.get(session, g.org_id, resource_type, key,
                                current_settings().scim_base_url)
    return scim_json(body)


def list_roles() -> Response:
    return _list(ROLE_TYPE)


def get_role(key: str) -> Response:
    return _get(ROLE_TYPE, key)


def list_entitlements() -> Response:
    return _list(ENTITLEMENT_TYPE)


def get_entitlement(key: str) -> Response:
    return _get(ENTITLEMENT_TYPE, key)
