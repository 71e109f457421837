"""Discovery documents built from the attribute table, the resource-type registry and the
Capabilities object, without Flask."""
from __future__ import annotations

from dataclasses import replace

import pytest

from scim import discovery, schemas
from scim.discovery import OAUTH_CLIENT_CREDENTIALS, BulkLimits, Capabilities
from scim.errors import ScimError
from scim.schemas import (
    ENTERPRISE_USER_SCHEMA,
    SEAT_USER_SCHEMA,
    USER,
    USER_SCHEMA,
    Attribute,
    ResourceType,
    Schema,
    SchemaExtension,
)

BASE = "https://scim.example.com/scim/v2"
EXTENSION = Schema(
    id="urn:example:params:scim:schemas:extension:test:2.0:User",
    name="TestExtension",
    attributes=(Attribute("costCenter"),),
)
WIDGET = Schema(id="urn:example:params:scim:schemas:core:2.0:Widget", name="Widget")


@pytest.fixture
def extended_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the Groups and Enterprise User engineers will do: register, change nothing else."""
    monkeypatch.setattr(
        schemas,
        "RESOURCE_TYPES",
        (
            ResourceType("User", "/Users", USER, extensions=(SchemaExtension(EXTENSION),)),
            ResourceType(
                "Widget", "/Widgets", WIDGET, extensions=(SchemaExtension(EXTENSION, True),)
            ),
        ),
    )


def test_service_provider_config_announces_the_current_capabilities() -> None:
    document = discovery.service_provider_config(
        Capabilities(max_results=1000, documentation_uri=f"{BASE}/README.md"), BASE
    )
    assert document == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": f"{BASE}/README.md",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": 1000},
        "changePassword": {"supported": True},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "pagination": {
            "cursor": True, "index": True, "defaultPaginationMethod": "index", "maxPageSize": 1000,
        },
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Static bearer token issued by scim-seats issue-token",
                "specUri": "https://www.rfc-editor.org/info/rfc6750",
                "primary": True,
            },
            {
                "type": "oauthbearertoken",
                "name": "OAuth 2.0 client credentials",
                "description": OAUTH_CLIENT_CREDENTIALS.description,
                "specUri": "https://www.rfc-editor.org/rfc/rfc6749#section-4.4",
                "primary": False,
            },
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{BASE}/ServiceProviderConfig",
        },
    }


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        ({"sort": False}, "sort", {"supported": False}),
        ({"etag": False}, "etag", {"supported": False}),
        (
            {"default_page_size": 100},
            "pagination",
            {"cursor": True, "index": True, "defaultPaginationMethod": "index",
             "defaultPageSize": 100, "maxPageSize": 5},
        ),
        ({"change_password": False}, "changePassword", {"supported": False}),
        (
            {"bulk": BulkLimits(max_operations=100, max_payload_size=1_048_576)},
            "bulk",
            {"supported": True, "maxOperations": 100, "maxPayloadSize": 1_048_576},
        ),
    ],
)
def test_each_flag_is_one_field(change: dict[str, object], key: str, expected: object) -> None:
    before = discovery.service_provider_config(Capabilities(max_results=5), BASE)
    after = discovery.service_provider_config(replace(Capabilities(max_results=5), **change), BASE)
    assert after[key] == expected
    assert {k: v for k, v in after.items() if k != key} == {
        k: v for k, v in before.items() if k != key
    }


def test_no_documentation_uri_is_announced_without_one() -> None:
    document = discovery.service_provider_config(Capabilities(max_results=5), BASE)
    assert "documentationUri" not in document


def test_user_resource_type_is_registered() -> None:
    assert {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "schema": USER_SCHEMA,
        "description": "User Account",
        "schemaExtensions": [{"schema": ENTERPRISE_USER_SCHEMA, "required": False},
                             {"schema": SEAT_USER_SCHEMA, "required": False}],
        "meta": {"resourceType": "ResourceType", "location": f"{BASE}/ResourceTypes/User"},
    } in discovery.resource_type_documents(BASE)


def test_user_schema_document_is_the_attribute_table() -> None:
    document = discovery.schema_document(USER, BASE)
    assert document["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:Schema"]
    assert document["id"] == USER_SCHEMA and document["name"] == "User"
    assert document["attributes"] == [a.to_dict() for a in USER.attributes if a.name != "meta"]
    assert document["meta"] == {
        "resourceType": "Schema",
        "location": f"{BASE}/Schemas/{USER_SCHEMA}",
    }


@pytest.mark.usefixtures("extended_registry")
def test_a_registered_resource_type_and_its_schemas_become_discoverable() -> None:
    widget = discovery.resource_type_document(discovery.find_resource_type("Widget"), BASE)
    assert widget["endpoint"] == "/Widgets"
    assert widget["schemaExtensions"] == [{"schema": EXTENSION.id, "required": True}]
    # the shared extension is listed once
    assert [s["id"] for s in discovery.schema_documents(BASE)] == [
        USER_SCHEMA,
        EXTENSION.id,
        WIDGET.id,
    ]
    assert discovery.find_schema(WIDGET.id) is WIDGET


def test_schema_lookup_ignores_case() -> None:
    assert discovery.find_schema(USER_SCHEMA.upper()) is USER


@pytest.mark.parametrize(
    "lookup",
    [
        lambda: discovery.find_schema("urn:unknown"),
        lambda: discovery.find_resource_type("Nope"),
    ],
)
def test_unknown_lookups_are_404(lookup: object) -> None:
    with pytest.raises(ScimError) as raised:
        lookup()  # type: ignore[operator]
    assert raised.value.status == 404


def test_discovery_list_is_a_whole_list_response() -> None:
    documents = discovery.resource_type_documents(BASE)
    assert discovery.discovery_list(documents) == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": len(documents),
        "itemsPerPage": len(documents),
        "startIndex": 1,
        "Resources": documents,
    }


def test_no_filter_passes() -> None:
    discovery.refuse_filter(None)


@pytest.mark.parametrize("filter_text", ["", 'name eq "User"'])
def test_any_filter_is_refused_with_403(filter_text: str) -> None:
    with pytest.raises(ScimError) as raised:
        discovery.refuse_filter(filter_text)
    assert raised.value.status == 403
