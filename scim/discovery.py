"""The discovery documents (RFC 7644 §4; RFC 7643 §5-7). They are generated from the
attribute table and the RESOURCE_TYPES registry in schemas.py, and from one Capabilities
object, so that what the server announces cannot drift from what it does."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scim import schemas
from scim.errors import ScimError, not_found
from scim.listing import ListResult, list_response
from scim.schemas import ResourceType, Schema

SERVICE_PROVIDER_CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"


@dataclass(frozen=True)
class AuthenticationScheme:
    type: str
    name: str
    description: str
    spec_uri: str
    primary: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "name": self.name,
            "description": self.description,
            "specUri": self.spec_uri,
            "primary": self.primary,
        }


STATIC_BEARER_TOKEN = AuthenticationScheme(
    type="oauthbearertoken",
    name="OAuth Bearer Token",
    description="Static bearer token issued by scim-seats issue-token",
    spec_uri="https://www.rfc-editor.org/info/rfc6750",
    primary=True,
)

OAUTH_CLIENT_CREDENTIALS = AuthenticationScheme(
    type="oauthbearertoken",
    name="OAuth 2.0 client credentials",
    description=(
        "POST grant_type=client_credentials to /oauth/token with the client id and secret "
        "from scim-seats issue-client (HTTP Basic or form fields); send the access_token "
        "as a bearer token"
    ),
    spec_uri="https://www.rfc-editor.org/rfc/rfc6749#section-4.4",
)


@dataclass(frozen=True)
class BulkLimits:
    max_operations: int
    max_payload_size: int


@dataclass(frozen=True)
class Capabilities:
    """The single source of every claim in /ServiceProviderConfig. Change a flag in the same
    commit as the behaviour: tests/api/test_discovery.py probes the API for each claim and
    fails when the announcement and the behaviour disagree, in either direction."""

    max_results: int
    documentation_uri: str | None = None
    patch: bool = True
    filter: bool = True
    change_password: bool = True
    sort: bool = True
    etag: bool = True
    cursor: bool = True
    default_page_size: int | None = None
    bulk: BulkLimits | None = None
    authentication_schemes: tuple[AuthenticationScheme, ...] = (
        STATIC_BEARER_TOKEN,
        OAUTH_CLIENT_CREDENTIALS,
    )


def _meta(resource_type: str, location: str) -> dict[str, str]:
    return {"resourceType": resource_type, "location": location}


def _supported(flag: bool) -> dict[str, bool]:
    return {"supported": flag}


def _pagination(capabilities: Capabilities) -> dict[str, Any]:
    """RFC 9865 §4. Index paging stays the default, so clients written before cursors see
    no change. No cursorTimeout: a cursor is a signed position, held by no server state, so
    it does not expire."""
    pagination: dict[str, Any] = {
        "cursor": capabilities.cursor,
        "index": True,
        "defaultPaginationMethod": "index",
        "maxPageSize": capabilities.max_results,
    }
    if capabilities.default_page_size is not None:
        pagination["defaultPageSize"] = capabilities.default_page_size
    return pagination


def service_provider_config(capabilities: Capabilities, base_url: str) -> dict[str, Any]:
    """RFC 7643 §5. No "id": the configuration is a singleton, and §5 exempts it."""
    bulk = capabilities.bulk or BulkLimits(max_operations=0, max_payload_size=0)
    document: dict[str, Any] = {"schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA]}
    if capabilities.documentation_uri:
        document["documentationUri"] = capabilities.documentation_uri
    document.update(
        {
            "patch": _supported(capabilities.patch),
            "bulk": {
                "supported": capabilities.bulk is not None,
                "maxOperations": bulk.max_operations,
                "maxPayloadSize": bulk.max_payload_size,
            },
            "filter": {"supported": capabilities.filter, "maxResults": capabilities.max_results},
            "changePassword": _supported(capabilities.change_password),
            "sort": _supported(capabilities.sort),
            "etag": _supported(capabilities.etag),
            "pagination": _pagination(capabilities),
            "authenticationSchemes": [s.to_dict() for s in capabilities.authentication_schemes],
            "meta": _meta("ServiceProviderConfig", f"{base_url}/ServiceProviderConfig"),
        }
    )
    return document


def _registry() -> tuple[ResourceType, ...]:
    """Read at call time, so a resource type registered in schemas.py needs no change here."""
    return schemas.RESOURCE_TYPES


def resource_type_document(resource_type: ResourceType, base_url: str) -> dict[str, Any]:
    """RFC 7643 §6."""
    document: dict[str, Any] = {
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": resource_type.name,
        "name": resource_type.name,
        "endpoint": resource_type.endpoint,
        "schema": resource_type.schema.id,
    }
    if resource_type.description:
        document["description"] = resource_type.description
    if resource_type.extensions:
        document["schemaExtensions"] = [
            {"schema": e.schema.id, "required": e.required} for e in resource_type.extensions
        ]
    document["meta"] = _meta("ResourceType", f"{base_url}/ResourceTypes/{resource_type.name}")
    return document


def resource_type_documents(base_url: str) -> list[dict[str, Any]]:
    return [resource_type_document(r, base_url) for r in _registry()]


def find_resource_type(name: str) -> ResourceType:
    """Case-insensitive, like find_schema and the endpoints (`/resourcetypes/user`)."""
    lowered = name.lower()
    found = next((r for r in _registry() if r.name.lower() == lowered), None)
    if found is None:
        raise not_found(f"no resource type {name!r}; GET /ResourceTypes lists them")
    return found


def registered_schemas() -> list[Schema]:
    """Every core and extension schema of a registered resource type, each once: an
    extension may be shared, and a schema nobody serves is not supported."""
    seen: dict[str, Schema] = {}
    for resource_type in _registry():
        for schema in (resource_type.schema, *(e.schema for e in resource_type.extensions)):
            seen.setdefault(schema.id, schema)
    return list(seen.values())


def schema_document(schema: Schema, base_url: str) -> dict[str, Any]:
    """RFC 7643 §7, with the full definition of every attribute the server validates but
    `meta`: RFC 7643 §3.1 defines it for every resource, and clients that build models from
    /Schemas (scim2-models) would give a listed meta a type of their own, which their
    ETag handling then fails to fill when `attributes` leaves meta out of a response."""
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": [a.to_dict() for a in schema.attributes if a is not schemas.META],
        "meta": _meta("Schema", f"{base_url}/Schemas/{schema.id}"),
    }


def schema_documents(base_url: str) -> list[dict[str, Any]]:
    return [schema_document(s, base_url) for s in registered_schemas()]


def find_schema(urn: str) -> Schema:
    """Case-insensitive, like attribute names (RFC 7643 §2.1): clients are not consistent
    about the case of URNs, and a spelling difference should not read as "unsupported"."""
    lowered = urn.lower()
    found = next((s for s in registered_schemas() if s.id.lower() == lowered), None)
    if found is None:
        raise not_found(f"no schema {urn!r}; GET /Schemas lists them")
    return found


def discovery_list(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """Always the whole list: paging and sorting parameters SHALL be ignored (RFC 7644 §4)."""
    return list_response(ListResult(total=len(documents), start_index=1, rows=documents), documents)


def refuse_filter(filter_text: str | None) -> None:
    """RFC 7644 §4: a filter on /ResourceTypes or /Schemas SHOULD get 403, so that a client
    cannot take an ignored filter's conditions for true."""
    if filter_text is not None:
        raise ScimError(403, "/ResourceTypes and /Schemas cannot be filtered; omit the filter")
