"""Attribute definitions of the SCIM resources (RFC 7643 §4, §8.7.1). Filters, PATCH,
projection and validation all read these, so one table decides what an attribute is."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
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
        return find(self._subs_by_name, name)

    @cached_property
    def _subs_by_name(self) -> dict[str, Attribute]:
        return by_name(self.sub_attributes)

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
    description: str = ""

    def attribute(self, name: str) -> Attribute | None:
        return find(self._attributes_by_name, name)

    @cached_property
    def _attributes_by_name(self) -> dict[str, Attribute]:
        return by_name(self.attributes)


def by_name(attributes: tuple[Attribute, ...]) -> dict[str, Attribute]:
    """Every request looks attributes up by name, many times (validation, projection, PATCH
    paths, filters): the table is indexed once per schema, not scanned per lookup. The
    first of two names differing only in case wins, as a scan would find it."""
    index: dict[str, Attribute] = {}
    for attribute in attributes:
        index.setdefault(attribute.name.lower(), attribute)
    return index


def find(index: dict[str, Attribute], name: str) -> Attribute | None:
    """Attribute names are case-insensitive (RFC 7643 §2.1)."""
    return index.get(name.lower())


def _multi(
    name: str,
    description: str,
    *,
    noun: str,
    value: str | None = None,
    value_type: str = "string",
    types: tuple[str, ...] = (),
    extra: tuple[Attribute, ...] = (),
) -> Attribute:
    """A multi-valued complex attribute with the RFC's usual value/display/type/primary
    (RFC 7643 §2.4). `noun` names one element in the sub-attributes' descriptions; `value`
    describes the value sub-attribute, None for an attribute without one (addresses)."""
    subs: list[Attribute] = []
    if value is not None:
        subs.append(Attribute("value", type=value_type, description=value))
        subs.append(Attribute("display", description=f"A human-readable name for the {noun}, "
                              "for display only; the server does not interpret it"))
    subs.extend(extra)
    examples = " or ".join(repr(t) for t in types[:2])
    labels = f"such as {examples}" if types else "a label of the organization's choosing"
    subs.append(Attribute("type", canonical_values=types,
                          description=f"The kind of {noun}, {labels}"))
    subs.append(Attribute("primary", type="boolean",
                          description=f"Whether this is the preferred {noun}; at most one "
                          "element is primary"))
    return Attribute(name, type="complex", multi_valued=True, description=description,
                     sub_attributes=tuple(subs))


def _links(name: str, *, types: tuple[str, ...], mutability: str, description: str,
           target: str, kinds: str) -> Attribute:
    """Links to other resources (a group's members, a user's groups), RFC 7643 §4.1.2/§4.2:
    `value` is the other resource's id (compared exactly, like `id`); `$ref`, and the
    `display` of a user's groups, are derived by the server from it, so clients never write
    them. Members render no `display`: clients expect members back as they sent them.
    `target` names what a link points to and `kinds` describes `type`, in the descriptions."""
    fixed = "readOnly" if mutability == "readOnly" else "immutable"
    return Attribute(
        name,
        type="complex",
        multi_valued=True,
        mutability=mutability,
        description=description,
        sub_attributes=(
            Attribute("value", case_exact=True, mutability=fixed,
                      description=f"The id of the {target}"),
            Attribute(
                "$ref", type="reference", reference_types=("User", "Group"), mutability=fixed,
                description=f"The URI of the {target}; the server derives it from value",
            ),
            Attribute("display", mutability="readOnly",
                      description=f"The display name of the {target}; read-only, "
                      "a value sent is ignored"),
            Attribute("type", canonical_values=types, mutability=fixed, description=kinds),
        ),
    )


ID = Attribute(
    "id", case_exact=True, mutability="readOnly", returned="always", uniqueness="server",
    description="The identifier the server assigned to the resource: unique, stable, never "
    "reassigned, and the last segment of its location (RFC 7643 §3.1)",
)
EXTERNAL_ID = Attribute(
    "externalId", case_exact=True,
    description="The provisioning client's own identifier for the resource; the server "
    "stores it as given and lets clients filter on it",
)
META = Attribute(
    "meta",
    type="complex",
    mutability="readOnly",
    description="Metadata the server maintains about the resource",
    sub_attributes=(
        Attribute("resourceType", case_exact=True, mutability="readOnly",
                  description="The name of the resource's type, such as 'User'"),
        Attribute("created", type="dateTime", mutability="readOnly",
                  description="When the resource was created on this server"),
        Attribute("lastModified", type="dateTime", mutability="readOnly",
                  description="When the resource was last changed; equals created until then"),
        Attribute("location", type="reference", case_exact=True, mutability="readOnly",
                  description="The canonical URI of the resource"),
        Attribute("version", case_exact=True, mutability="readOnly",
                  description="The resource's version as a weak ETag, changed by every "
                  "write; send it in If-Match to avoid overwriting a newer version"),
    ),
)

NAME = Attribute(
    "name",
    type="complex",
    description="The parts of the user's real name",
    sub_attributes=(
        Attribute("formatted", description="The whole name as it should be displayed, with "
                  "titles and suffixes"),
        Attribute("familyName", description="The family name, or last name in most Western "
                  "languages"),
        Attribute("givenName", description="The given name, or first name in most Western "
                  "languages"),
        Attribute("middleName", description="The middle name or names"),
        Attribute("honorificPrefix", description="Titles before the name, such as 'Ms.' or "
                  "'Dr.'"),
        Attribute("honorificSuffix", description="Suffixes after the name, such as 'III' or "
                  "'PhD'"),
    ),
)

ADDRESS_PARTS = (
    Attribute("formatted", description="The whole address as it should be displayed or "
              "printed on a mailing label"),
    Attribute("streetAddress", description="The street part: house number, street, P.O. box "
              "and further lines"),
    Attribute("locality", description="The city or town"),
    Attribute("region", description="The state, province or region"),
    Attribute("postalCode", description="The postal or zip code"),
    Attribute("country", description="The country, as an ISO 3166-1 alpha-2 code such as "
              "'DE'"),
)

USER = Schema(
    id=USER_SCHEMA,
    name="User",
    description="A person who uses the service, provisioned by the organization's identity "
    "provider; an active user holds one of the organization's seats",
    attributes=(
        ID,
        EXTERNAL_ID,
        Attribute("userName", required=True, uniqueness="server",
                  description="The name the user signs in with; unique in the organization, "
                  "compared without regard to case"),
        NAME,
        Attribute("displayName", description="The name to show for the user, as the user "
                  "prefers to be called"),
        Attribute("nickName", description="An informal name the user goes by, which may "
                  "differ from the given name"),
        Attribute("profileUrl", type="reference", reference_types=("external",),
                  description="The URI of the user's online profile page"),
        Attribute("title", description="The user's job title, such as 'Head of Finance'"),
        Attribute("userType", description="How the user relates to the organization, such "
                  "as 'Employee' or 'Contractor'; the values are the organization's"),
        Attribute("preferredLanguage", description="The language the user prefers, in the "
                  "form of an HTTP Accept-Language value such as 'en-GB'"),
        Attribute("locale", description="Where the user is, for formatting dates, numbers "
                  "and currency: a language tag such as 'en-GB'"),
        Attribute("timezone", description="The user's time zone, as an IANA time zone name "
                  "such as 'Europe/Berlin'"),
        Attribute("active", type="boolean", description="Whether the user may use the "
                  "service; an active user holds a seat, so activating one needs a free seat"),
        Attribute("password", mutability="writeOnly", returned="never",
                  description="A new clear-text password for the user; stored only as a "
                  "hash and never returned"),
        _multi("emails", "The user's email addresses", noun="email address",
               value="An email address, such as 'bjensen@example.com'",
               types=("work", "home", "other")),
        _multi("phoneNumbers", "The user's phone numbers", noun="phone number",
               value="A phone number, best in RFC 3966 form such as 'tel:+1-201-555-0123'",
               types=("work", "home", "mobile", "fax", "pager", "other")),
        _multi("ims", "The user's instant messaging addresses", noun="messaging address",
               value="An instant messaging address",
               types=("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo")),
        _multi("photos", "URIs of pictures of the user", noun="picture",
               value="The URI of an image of the user", value_type="reference",
               types=("photo", "thumbnail")),
        _multi("addresses", "The user's postal addresses", noun="address",
               types=("work", "home", "other"), extra=ADDRESS_PARTS),
        _links(
            "groups",
            types=("direct", "indirect"),
            mutability="readOnly",
            description="Computed from group memberships, direct and through nested groups; "
            "never stored",
            target="group the user belongs to",
            kinds="'direct' when the user is a member of the group itself, 'indirect' when "
            "through a nested group",
        ),
        _multi("entitlements", "What the user is entitled to, as the organization names "
               "it", noun="entitlement", value="The name of an entitlement"),
        _multi("roles", "The user's roles, such as 'Student' or 'Faculty'", noun="role",
               value="The name of a role"),
        _multi("x509Certificates", "X.509 certificates issued to the user",
               noun="certificate", value="A DER-encoded X.509 certificate, in base64",
               value_type="binary"),
        META,
    ),
)

MEMBERS = _links(
    "members",
    types=("User", "Group"),
    mutability="readWrite",
    description="Users and groups of this group; members are added and removed whole",
    target="member user or group",
    kinds="Whether the member is a 'User' or a 'Group'",
)

GROUP = Schema(
    id=GROUP_SCHEMA,
    name="Group",
    description="A named collection of users and groups, for granting access to them at once",
    attributes=(
        ID,
        EXTERNAL_ID,
        Attribute("displayName", required=True, description="The name of the group, for "
                  "display; required"),
        MEMBERS,
        META,
    ),
)

ENTERPRISE_USER = Schema(
    id=ENTERPRISE_USER_SCHEMA,
    name="EnterpriseUser",
    description="What a business or other organization records about a user beyond the core "
    "User attributes (RFC 7643 §4.3)",
    attributes=(
        Attribute("employeeNumber", description="The identifier the organization gives the "
                  "person, numbers or letters, often in order of hiring"),
        Attribute("costCenter", description="The name of the cost center the user belongs to"),
        Attribute("organization", description="The name of the organization the user "
                  "belongs to"),
        Attribute("division", description="The name of the division the user belongs to"),
        Attribute("department", description="The name of the department the user belongs "
                  "to"),
        Attribute(
            "manager",
            type="complex",
            description="The user's manager: the id of another User of this organization",
            sub_attributes=(
                Attribute("value", case_exact=True, description="The id of the manager's "
                          "User resource"),
                Attribute("$ref", type="reference", reference_types=("User",),
                          description="The URI of the manager's User resource"),
                Attribute("displayName", mutability="readOnly",
                          description="The display name of the manager; read-only"),
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

    @cached_property
    def extension_schemas(self) -> tuple[Schema, ...]:
        return tuple(extension.schema for extension in self.extensions)

    @cached_property
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
    schema, local = split_urn(schemas, text)
    if schema is None and local.lower().startswith("urn:"):
        # A schema the resource lacks: a schema URN contains dots itself, so it could not be
        # told apart from a sub-attribute later.
        raise UnknownAttribute(f"Unknown schema in {text!r}")
    name, dot, sub_name = local.partition(".")
    if "." in sub_name:
        raise UnknownAttribute(f"{text!r} is not an attribute or sub-attribute name")
    return locate(schemas, None if schema is None else schema.id, name, sub_name if dot else None)


def split_urn(schemas: tuple[Schema, ...], text: str) -> tuple[Schema | None, str]:
    """The schema whose URN prefixes `text` (`urn:…:User:name.sub`) and the rest of it, or
    (None, text). The longest matching URN wins, so an extension URN that extends the core
    URN's text is not taken for core."""
    lowered = text.lower()
    for schema in sorted(schemas, key=lambda s: -len(s.id)):
        if lowered.startswith(schema.id.lower() + ":"):
            return schema, text[len(schema.id) + 1 :]
    return None, text


SEAT_USER_SCHEMA = "urn:scim-seats:params:scim:schemas:extension:seat:1.0:User"
SEAT_USER = Schema(
    id=SEAT_USER_SCHEMA,
    name="SeatUser",
    description="The seat a user holds, decided by the server from the user's entitlements "
    "or roles, its groups and the organization's seat types; read-only, returned when asked "
    "for (attributes=<this URN>)",
    attributes=(
        Attribute("seatType", case_exact=True, mutability="readOnly", returned="request",
                  description="The key of the seat type the user holds; absent while inactive"),
        Attribute("waitingForSeatType", case_exact=True, mutability="readOnly",
                  returned="request",
                  description="The key of the seat type the user should hold but that has no "
                  "free seat yet; the user moves to it as soon as one frees up"),
        Attribute("waitingSince", type="dateTime", mutability="readOnly", returned="request",
                  description="Since when the user waits; the longest waiting moves first"),
    ),
)
"""Rendered from the user's row (scim.seat_choice keeps it), never stored in its document.
Returned on request only (RFC 7643 §2.4 `returned`): IdPs compare the users they read with
what they sent, and a representation that grew an extension nobody asked for reads to them
as drift."""

# Okta's "SCIM with entitlements" guide names these two schemas for the resource types an
# IdP reads the assignable values from; draft-ietf-scim-roles-entitlements has the service
# provider list the values it accepts the same way. Each lists the org's seat types, with
# the key as id: the value an IdP sends back in a user's `roles` or `entitlements`.
_SEAT_TYPE_ATTRIBUTES = (
    Attribute("id", case_exact=True, mutability="readOnly", returned="always",
              uniqueness="server", description="The seat type's key: send it as the value "
              "of a user's roles or entitlements to ask for this seat type"),
    Attribute("displayName", mutability="readOnly", description="The seat type's name"),
    Attribute("description", mutability="readOnly", description="What the seat type is, "
              "with its rank among the organization's seat types"),
)
ROLE = Schema(
    id="urn:okta:scim:schemas:core:1.0:Role",
    name="Role",
    description="A seat type, offered as a role a user can be assigned (Entra app roles)",
    attributes=(*_SEAT_TYPE_ATTRIBUTES, META),
)
ENTITLEMENT = Schema(
    id="urn:okta:scim:schemas:core:1.0:Entitlement",
    name="Entitlement",
    description="A seat type, offered as an entitlement a user can be granted",
    attributes=(
        *_SEAT_TYPE_ATTRIBUTES,
        Attribute("type", mutability="readOnly", canonical_values=("seat",),
                  description="The kind of entitlement: always 'seat'"),
        META,
    ),
)

USER_TYPE = ResourceType(
    "User", "/Users", USER, (SchemaExtension(ENTERPRISE_USER), SchemaExtension(SEAT_USER)),
    description="User Account",
)
GROUP_TYPE = ResourceType("Group", "/Groups", GROUP, description="Group")
ROLE_TYPE = ResourceType("Role", "/Roles", ROLE, description="Seat types, as roles")
ENTITLEMENT_TYPE = ResourceType("Entitlement", "/Entitlements", ENTITLEMENT,
                                description="Seat types, as entitlements")

RESOURCE_TYPES: tuple[ResourceType, ...] = (USER_TYPE, GROUP_TYPE, ROLE_TYPE, ENTITLEMENT_TYPE)
