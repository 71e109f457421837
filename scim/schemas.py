"""Attribute definitions of the SCIM resources (RFC 7643 §4, §8.7.1). Filters, PATCH,
projection and validation all read these, so one table decides what an attribute is."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scim.errors import invalid_syntax

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def message(body: Any, urn: str, kind: str) -> dict[str, Any]:
    """A request message (PatchOp, SearchRequest): a JSON object whose `schemas` lists `urn`,
    matched case-insensitively like every URN here."""
    if not isinstance(body, dict):
        raise invalid_syntax(f"a {kind} body is a JSON object")
    claimed = body.get("schemas")
    if not isinstance(claimed, list) or urn.lower() not in (str(s).lower() for s in claimed):
        raise invalid_syntax(f"schemas must contain {urn}")
    return body


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
    `value` is the other resource's id (compared exactly, like `id`); `$ref`, and the
    `display` of a user's groups, are derived by the server from it, so clients never write
    them. Members render no `display`: clients expect members back as they sent them."""
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

ENTERPRISE_USER = Schema(
    id=ENTERPRISE_USER_SCHEMA,
    name="EnterpriseUser",
    attributes=(
        Attribute("employeeNumber", description="Numeric or alphanumeric identifier assigned "
                  "to a person, typically based on order of hire or association with an "
                  "organization"),
        Attribute("costCenter", description="Identifies the name of a cost center"),
        Attribute("organization", description="Identifies the name of an organization"),
        Attribute("division", description="Identifies the name of a division"),
        Attribute("department", description="Identifies the name of a department"),
        Attribute(
            "manager",
            type="complex",
            description="The user's manager: the id of another User of this organization",
            sub_attributes=(
                Attribute("value", case_exact=True, description="The id of the manager"),
                Attribute("$ref", type="reference", reference_types=("User",),
                          description="The URI of the manager's User resource"),
                Attribute("displayName", mutability="readOnly",
                          description="The displayName of the manager"),
            ),
        ),
    ),
)
"""RFC 7643 §4.3. Stored in the user's document under its URN key, as SCIM renders it."""


def bare_value(attribute: Attribute, value: Any) -> Any:
    """A bare value given for a singular complex attribute that has a `value` sub-attribute
    is that sub-attribute: Entra sends the enterprise manager as a bare id."""
    wraps = attribute.type == "complex" and not attribute.multi_valued
    if wraps and attribute.sub("value") is not None and not isinstance(value, dict | list):
        return {"value": value}
    return value


class UnknownAttribute(LookupError):
    """A name that is no attribute of a resource type. Each caller decides what that means:
    an invalid filter or sortBy, or (in `attributes`) nothing to select."""


@dataclass(frozen=True)
class AttributePath:
    """An attribute, or a sub-attribute of a complex one, as `attributes`, `sortBy` and
    filters name it (RFC 7644 §3.10): `[schema URN:]attribute[.subAttribute]`. `extension`
    is the URN of the extension schema holding the attribute, None for the core schema."""

    attribute: Attribute
    sub: Attribute | None = None
    extension: str | None = None

    @property
    def definition(self) -> Attribute:
        return self.sub or self.attribute

    @property
    def keys(self) -> tuple[str, ...]:
        """Where the value is in a stored document: extensions are under their URN."""
        return self._names if self.extension is None else (self.extension, *self._names)

    @property
    def name(self) -> str:
        """The canonical spelling; URN-qualified for an extension attribute."""
        local = ".".join(self._names)
        return local if self.extension is None else f"{self.extension}:{local}"

    @property
    def _names(self) -> tuple[str, ...]:
        return tuple(a.name for a in (self.attribute, self.sub) if a is not None)


def sub_attribute(attribute: Attribute, name: str) -> Attribute:
    if not attribute.sub_attributes:
        raise UnknownAttribute(f"{attribute.name} has no sub-attributes")
    sub = attribute.sub(name)
    if sub is None:
        raise UnknownAttribute(f"Unknown sub-attribute {name!r} of {attribute.name}")
    return sub


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

    @property
    def extension_schemas(self) -> tuple[Schema, ...]:
        return tuple(extension.schema for extension in self.extensions)

    @property
    def schemas(self) -> tuple[Schema, ...]:
        """The core schema first, then the extensions."""
        return (self.schema, *self.extension_schemas)

    def extension(self, urn: str) -> Schema | None:
        return extension_named(self.schemas, urn)

    def path(self, text: str) -> AttributePath:
        return attribute_path(self.schemas, text)


def extension_named(schemas: tuple[Schema, ...], urn: str) -> Schema | None:
    """URNs are matched case-insensitively, like attribute names: clients differ."""
    lowered = urn.lower()
    return next((s for s in schemas[1:] if s.id.lower() == lowered), None)


def locate(
    schemas: tuple[Schema, ...], urn: str | None, name: str, sub_name: str | None = None
) -> AttributePath:
    """The attribute `name` (and its `sub_name`) of the schema `urn` names, among `schemas`
    (the core one first; None names it). Raises UnknownAttribute saying which part is
    unknown."""
    schema = schemas[0]
    if urn is not None and urn.lower() != schema.id.lower():
        found = extension_named(schemas, urn)
        if found is None:
            known = ", ".join(s.id for s in schemas)
            raise UnknownAttribute(f"Unknown schema {urn!r}; the resource has {known}")
        schema = found
    attribute = schema.attribute(name)
    if attribute is None:
        raise UnknownAttribute(f"Unknown attribute {name!r}")
    sub = None if sub_name is None else sub_attribute(attribute, sub_name)
    return AttributePath(attribute, sub, None if schema is schemas[0] else schema.id)


def attribute_path(schemas: tuple[Schema, ...], text: str) -> AttributePath:
    """`[schema URN:]attribute[.subAttribute]` in attribute notation (RFC 7644 §3.10)."""
    urn, local = _split_urn(schemas, text)
    name, dot, sub_name = local.partition(".")
    if "." in sub_name:
        raise UnknownAttribute(f"{text!r} is not an attribute or sub-attribute name")
    return locate(schemas, urn, name, sub_name if dot else None)


def _split_urn(schemas: tuple[Schema, ...], text: str) -> tuple[str | None, str]:
    """The longest matching URN wins, so an extension URN that extends the core URN's text
    is not taken for core. Any other `urn:` prefix is a schema the resource lacks (a schema
    URN contains dots itself, so it cannot be told apart later)."""
    lowered = text.lower()
    for schema in sorted(schemas, key=lambda s: -len(s.id)):
        if lowered.startswith(schema.id.lower() + ":"):
            return schema.id, text[len(schema.id) + 1 :]
    if lowered.startswith("urn:"):
        raise UnknownAttribute(f"Unknown schema in {text!r}")
    return None, text


USER_TYPE = ResourceType(
    "User", "/Users", USER, (SchemaExtension(ENTERPRISE_USER),), description="User Account"
)
GROUP_TYPE = ResourceType("Group", "/Groups", GROUP, description="Group")

RESOURCE_TYPES: tuple[ResourceType, ...] = (USER_TYPE, GROUP_TYPE)
