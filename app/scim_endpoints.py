"""What the SCIM resource endpoints (/Users, /Groups, /.search) have in common: a resource
is sent back as the request's attributes / excludedAttributes show it (RFC 7644 §3.9, on
every response that returns one), and lists are answered alike for GET on a collection and
POST /.search. The links computed from memberships (a user's groups, a group's members) are
read in the request's transaction, for a whole page in one query, and not at all when the
response does not show them; responses are rendered after the transaction committed."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Response, g, request
from sqlalchemy.orm import Session

from app.context import current_db, current_settings
from app.responses import scim_json
from app.scim_http import cursor_key, write_context
from scim import memberships
from scim.directory import WriteContext
from scim.listing import Source, list_query, list_resources, list_response
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


def _shown(resource_type: ResourceType) -> Projection:
    """The projection the request's query parameters ask for."""
    args = request.args
    return projection(resource_type, args.get("attributes"), args.get("excludedAttributes"))


def asks_for_attributes() -> bool:
    """Whether the request names what to return: RFC 7644 §3.5.2 then requires a 200 with
    the resource from a PATCH that could otherwise answer 204. `excludedAttributes` counts
    too, since a client shaping the response evidently wants one."""
    return any(name in request.args for name in ("attributes", "excludedAttributes"))


def _links(session: Session, rows: Sequence[Any], shown: Projection) -> Links:
    """The computed links of `rows` (all of `shown`'s resource type), if they are shown."""
    kind = _KINDS[shown.resource_type.name]
    if not rows or not shown.wants(kind.links):
        return {}
    return kind.load(session, g.org_id, [row.id for row in rows])


def _render(row: Any, links: Links, shown: Projection) -> dict[str, Any]:
    kind = _KINDS[shown.resource_type.name]
    base = current_settings().scim_base_url
    return shown.apply(kind.render(row, base, links.get(row.id, ())))


def _resource_response(
    row: Any, links: Links, shown: Projection, status: int = 200
) -> Response:
    """One resource, with its ETag; a 201 also says where it is."""
    resource = _render(row, links, shown)
    headers = {"ETag": etag(row.version)}
    if status == 201:
        endpoint = shown.resource_type.endpoint
        headers["Location"] = f"{current_settings().scim_base_url}{endpoint}/{row.id}"
    return scim_json(resource, status, headers)


def read_one(resource_type: ResourceType, get: Callable[[Session], Any]) -> Response:
    """GET of one resource; 304 when If-None-Match holds its current version, without
    reading its links."""
    view = _shown(resource_type)
    with current_db().transaction(write=False) as session:
        row = get(session)
        unchanged = request.if_none_match.contains_weak(str(row.version))
        found = {} if unchanged else _links(session, [row], view)
    if unchanged:
        return Response(status=304, headers={"ETag": etag(row.version)})
    return _resource_response(row, found, view)


def write_one(
    resource_type: ResourceType,
    write: Callable[[Session, WriteContext], Any],
    status: int = 200,
) -> Response:
    """A write in one transaction, answered with the resource it leaves."""
    view = _shown(resource_type)
    with current_db().transaction() as session:
        row = write(session, write_context())
        found = _links(session, [row], view)
    return _resource_response(row, found, view, status)


def list_page(sources: Sequence[Source], params: Mapping[str, Any]) -> Response:
    """A ListResponse for GET query parameters or a SearchRequest's. At the root, each
    resource type is shown by the same attributes parameters; names it lacks select none."""
    settings = current_settings()
    query = list_query(params, default_count=settings.default_count,
                       max_count=settings.max_results)
    views = {s.table: projection(s.resource_type, query.attributes, query.excluded)
             for s in sources}
    linked: dict[str, Sequence[Reference]] = {}
    with current_db().transaction(write=False) as session:
        result = list_resources(session, g.org_id, sources, query, cursor_key())
        for table, view in views.items():
            linked.update(_links(session, [r for r in result.rows if isinstance(r, table)], view))
    resources = [_render(row, linked, views[type(row)]) for row in result.rows]
    return scim_json(list_response(result, resources))
