"""Attribute definitions of the SCIM resources (RFC 7643 §4, §8.7.1). Filters, PATCH,
projection and validation all read these, so one table decides what an attribute is."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str = "string"  # string boolean decimal integer dateTime reference complex binary
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"  # readOnly readWrite immutable writeOnly
    returned: str = "default"  # always never default request
    uniqueness: str = "none"  # none server global
    sub_attributes: tuple[Attribute, ...] = ()
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    description: str = ""

    def sub(self, name: str) -> Attribute | None:
        return find(self.sub_attributes, name)

    def to_dict(self) -> dict[str, Any]:
        """The attribute as the /Schemas endpoint describes it."""
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": self.returned,
            "uniqueness": self.uniqueness,
        }
        if self.sub_attributes:
            out["subAttributes"] = [a.to_dict() for a in self.sub_attributes]
        if self.canonical_values:
            out["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            out["referenceTypes"] = list(self.reference_types)
        return out


@dataclass(frozen=True)
class Schema:
    id: str
    name: str
    attributes: tuple[Attribute, ...] = field(default_factory=tuple)

    def attribute(self, name: str) -> Attribute | None:
        return find(self.attributes, name)


def find(attributes: tuple[Attribute, ...], name: str) -> Attribute | None:
    """Attribute names are case-insensitive (RFC 7643 §2.1)."""
    lowered = name.lower()
    return next((a for a in attributes if a.name.lower() == lowered), None)


def _multi(
    name: str,
    *,
    value_type: str = "string",
    types: tuple[str, ...] = (),
    extra: tuple[Attribute, ...] = (),
    with_value: bool = True,
) -> Attribute:
    """A multi-valued complex attribute with the RFC's usual value/display/type/primary."""
    subs: list[Attribute] = []
    if with_value:
        subs.append(Attribute("value", type=value_type))
        subs.append(Attribute("display"))
    subs.extend(extra)
    subs.append(Attribute("type", canonical_values=types))
    subs.append(Attribute("primary", type="boolean"))
    return Attribute(name, type="complex", multi_valued=True, sub_attributes=tuple(subs))


def _links(name: str, *, types: tuple[str, ...], mutability: str, description: str) -> Attribute:
    """Links to other resources (a group's members, a user's groups), RFC 7643 §4.1.2/§4.2:
    `value` is the other resource's id (compared exactly, like `id`); `display` and `$ref`
    are derived by the server from it, so clients never write them."""
    fixed = "readOnly" if mutability == "readOnly" else "immutable"
    return Attribute(
        name,
        type="complex",
        multi_valued=True,
        mutability=mutability,
        description=description,
        sub_attributes=(
            Attribute("value", case_exact=True, mutability=fixed),
            Attribute(
                "$ref", type="reference", reference_types=("User", "Group"), mutability=fixed
            ),
            Attribute("display", mutability="readOnly"),
            Attribute("type", canonical_values=types, mutability=fixed),
        ),
    )


ID = Attribute(
    "id", case_exact=True, mutability="readOnly", returned="always", uniqueness="server"
)
EXTERNAL_ID = Attribute("externalId", case_exact=True)
META = Attribute(
    "meta",
    type="complex",
    mutability="readOnly",
    sub_attributes=(
        Attribute("resourceType", case_exact=True, mutability="readOnly"),
        Attribute("created", type="dateTime", mutability="readOnly"),
        Attribute("lastModified", type="dateTime", mutability="readOnly"),
        Attribute("location", type="reference", case_exact=True, mutability="readOnly"),
        Attribute("version", case_exact=True, mutability="readOnly"),
    ),
)

NAME = Attribute(
    "name",
    type="complex",
    sub_attributes=tuple(
        Attribute(n)
        for n in (
            "formatted",
            "familyName",
            "givenName",
            "middleName",
            "honorificPrefix",
            "honorificSuffix",
        )
    ),
)

ADDRESS_PARTS = tuple(
    Attribute(n)
    for n in ("formatted", "streetAddress", "locality", "region", "postalCode", "country")
)

USER = Schema(
    id=USER_SCHEMA,
    name="User",
    attributes=(
        ID,
        EXTERNAL_ID,
        Attribute("userName", required=True, uniqueness="server"),
        NAME,
        Attribute("displayName"),
        Attribute("nickName"),
        Attribute("profileUrl", type="reference", reference_types=("external",)),
        Attribute("title"),
        Attribute("userType"),
        Attribute("preferredLanguage"),
        Attribute("locale"),
        Attribute("timezone"),
        Attribute("active", type="boolean"),
        Attribute("password", mutability="writeOnly", returned="never"),
        _multi("emails", types=("work", "home", "other")),
        _multi("phoneNumbers", types=("work", "home", "mobile", "fax", "pager", "other")),
        _multi("ims", types=("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo")),
        _multi("photos", value_type="reference", types=("photo", "thumbnail")),
        _multi(
            "addresses", types=("work", "home", "other"), extra=ADDRESS_PARTS, with_value=False
        ),
        _links(
            "groups",
            types=("direct", "indirect"),
            mutability="readOnly",
            description="Computed from group memberships, direct and through nested groups; "
            "never stored",
        ),
        _multi("entitlements"),
        _multi("roles"),
        _multi("x509Certificates", value_type="binary"),
        META,
    ),
)

MEMBERS = _links(
    "members",
    types=("User", "Group"),
    mutability="readWrite",
    description="Users and groups of this group; members are added and removed whole",
)

GROUP = Schema(
    id=GROUP_SCHEMA,
    name="Group",
    attributes=(ID, EXTERNAL_ID, Attribute("displayName", required=True), MEMBERS, META),
)

COMMON_ATTRIBUTE_NAMES = ("id", "externalId", "meta", "schemas")


@dataclass(frozen=True)
class SchemaExtension:
    schema: Schema
    required: bool = False


@dataclass(frozen=True)
class ResourceType:
    """A resource the server serves (RFC 7643 §6). /ResourceTypes and /Schemas are generated
    from RESOURCE_TYPES, so a resource is discoverable exactly when it is registered there."""

    name: str
    endpoint: str
    schema: Schema
    extensions: tuple[SchemaExtension, ...] = ()
    description: str = ""


RESOURCE_TYPES: tuple[ResourceType, ...] = (
    ResourceType("User", "/Users", USER, description="User Account"),
    ResourceType("Group", "/Groups", GROUP, description="Group"),
)
