"""What the SCIM resource endpoints (/Users, /Groups, /.search) have in common: a resource
is sent back as the request's attributes / excludedAttributes show it (RFC 7644 §3.9, on
every response that returns one), and lists are answered alike for GET on a collection and
POST /.search. The links computed from memberships (a user's groups, a group's members) are
read in the request's transaction, for a whole page in one query, and not at all when the
response does not show them; responses are rendered after the transaction committed.

The helpers work inside or after a transaction but never open one: each handler shows its
own `with request_transaction() as session:` (the transaction authentication opened)."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Response, g, request
from sqlalchemy.orm import Session

from app.context import current_settings
from app.scim_api.request import cursor_key
from app.scim_api.responses import scim_json
from scim import memberships
from scim.listing import (
    ListQuery,
    ListResult,
    Source,
    list_query,
    list_resources,
    list_response,
)
from scim.resources import (
    Projection,
    Reference,
    etag,
    projection,
    render_group,
    render_user,
)
from scim.schemas import ResourceType

Links = Mapping[str, Sequence[Reference]]


@dataclass(frozen=True)
class _Kind:
    """A resource type's renderer, and its attribute computed from memberships."""

    render: Callable[[Any, str, Sequence[Reference]], dict[str, Any]]
    links: str  # the computed attribute
    load: Callable[[Session, str, Sequence[str]], Links]


_KINDS = {
    "User": _Kind(render_user, "groups", memberships.groups_of),
    "Group": _Kind(render_group, "members", memberships.listed_members),
}


def requested_view(resource_type: ResourceType) -> Projection:
    """The projection the request's query parameters ask for."""
    args = request.args
    return projection(resource_type, args.get("attributes"), args.get("excludedAttributes"))


def asks_for_attributes() -> bool:
    """Whether the request names what to return: RFC 7644 §3.5.2 then requires a 200 with
    the resource from a PATCH that could otherwise answer 204. `excludedAttributes` counts
    too, since a client shaping the response evidently wants one."""
    return any(name in request.args for name in ("attributes", "excludedAttributes"))


def read_links(session: Session, rows: Sequence[Any], shown: Projection) -> Links:
    """The computed links of `rows` (all of `shown`'s resource type), if they are shown."""
    kind = _KINDS[shown.resource_type.name]
    if not rows or not shown.wants(kind.links):
        return {}
    return kind.load(session, g.org_id, [row.id for row in rows])


def _render(row: Any, links: Links, shown: Projection, base: str) -> dict[str, Any]:
    """`base` is the SCIM base URL, read once per response rather than once per resource."""
    kind = _KINDS[shown.resource_type.name]
    return shown.apply(kind.render(row, base, links.get(row.id, ())))


def resource_response(
    row: Any, links: Links, shown: Projection, status: int = 200
) -> Response:
    """One resource, with its ETag; a 201 also says where it is."""
    resource = _render(row, links, shown, current_settings().scim_base_url)
    headers = {"ETag": etag(row.version)}
    if status == 201:
        endpoint = shown.resource_type.endpoint
        headers["Location"] = f"{current_settings().scim_base_url}{endpoint}/{row.id}"
    return scim_json(resource, status, headers)


def unchanged(row: Any) -> bool:
    """Whether If-None-Match holds the resource's current version (RFC 7644 §3.14): a GET
    then answers 304 without reading the resource's links."""
    return request.if_none_match.contains_weak(str(row.version))


def read_response(row: Any, found: Links | None, shown: Projection) -> Response:
    """A GET of one resource: 304 when its links were not read because it was `unchanged`."""
    if found is None:
        return Response(status=304, headers={"ETag": etag(row.version)})
    return resource_response(row, found, shown)


@dataclass(frozen=True)
class ListRequest:
    """A list asked for by GET query parameters or a SearchRequest, parsed before the
    transaction so that a bad parameter costs no database work. At the root, each resource
    type is shown by the same attributes parameters; names it lacks select none."""

    sources: Sequence[Source]
    query: ListQuery
    views: Mapping[str, Projection]  # by resource type name

    def read(self, session: Session) -> tuple[ListResult, Links]:
        """The page and the links it shows, in the caller's transaction."""
        linked: dict[str, Sequence[Reference]] = {}
        result = list_resources(session, g.org_id, self.sources, self.query, cursor_key())
        for name, view in self.views.items():
            rows = [found.row for found in result.rows if found.type == name]
            linked.update(read_links(session, rows, view))
        return result, linked

    def response(self, page: tuple[ListResult, Links]) -> Response:
        result, linked = page
        views, base = self.views, current_settings().scim_base_url
        resources = [_render(found.row, linked, views[found.type], base)
                     for found in result.rows]
        return scim_json(list_response(result, resources))


def list_request(sources: Sequence[Source], params: Mapping[str, Any]) -> ListRequest:
    settings = current_settings()
    query = list_query(params, default_count=settings.default_count,
                       max_count=settings.max_results)
    views = {s.resource_type.name: projection(s.resource_type, query.attributes, query.excluded)
             for s in sources}
    return ListRequest(sources, query, views)
