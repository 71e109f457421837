"""The org's seat types as read-only SCIM resources, so an IdP can offer them for
assignment: /Roles and /Entitlements, as Okta's "SCIM with entitlements" guide asks (an
endpoint per resource type, announced in /ResourceTypes and /Schemas) and as
draft-ietf-scim-roles-entitlements has a service provider list the values it accepts. The
id of each is the seat type's key, the value a user's roles or entitlements carry back."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from scim.errors import invalid_filter, not_found
from scim.listing import ListResult, list_query, list_response
from scim.schemas import ENTITLEMENT_TYPE, ResourceType
from seats.models import SeatType
from seats.seat_types import list_types


def _resource(seat_type: SeatType, resource_type: ResourceType, base_url: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "schemas": [resource_type.schema.id],
        "id": seat_type.key,
        "displayName": seat_type.name,
        "description": f"{seat_type.name} seat (rank {seat_type.rank})",
    }
    if resource_type is ENTITLEMENT_TYPE:
        resource["type"] = "seat"
    resource["meta"] = {
        "resourceType": resource_type.name,
        "location": f"{base_url}{resource_type.endpoint}/{seat_type.key}",
    }
    return resource


def get(session: Session, org_id: str, resource_type: ResourceType, key: str,
        base_url: str) -> dict[str, Any]:
    found = next((t for t in list_types(session, org_id) if t.key == key), None)
    if found is None:
        raise not_found(f"{resource_type.name} {key} not found")
    return _resource(found, resource_type, base_url)


def listing(session: Session, org_id: str, resource_type: ResourceType,
            params: Mapping[str, Any], base_url: str, *, max_count: int) -> dict[str, Any]:
    """Highest rank first, paged by startIndex and count. An org has a handful of seat
    types, so a filter is refused rather than half-implemented."""
    query = list_query(params, default_count=max_count, max_count=max_count)
    if query.filter is not None:
        raise invalid_filter(f"{resource_type.endpoint} lists every seat type; omit the filter")
    start, count = query.page.start_index, query.page.count
    rows = list_types(session, org_id)
    page = rows[start - 1 : start - 1 + count]
    resources = [_resource(t, resource_type, base_url) for t in page]
    return list_response(ListResult(total=len(rows), start_index=start, rows=page), resources)
