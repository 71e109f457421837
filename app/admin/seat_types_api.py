"""Group mappings of a seat type ("members of group X hold type T"). A change moves the
group's users, or makes them wait, in the transaction that makes it (scim.seat_choice)."""
from __future__ import annotations

from flask import Response, g
from sqlalchemy.orm import Session

from app.admin.blueprint import json_response
from app.admin.problems import Problem
from app.admin.schemas import MappingListSchema, MappingSchema
from app.context import current_db
from app.roles import MANAGERS, require_role
from scim import seat_choice, seat_mappings
from scim.tables import GroupRow
from seats import seat_types
from seats.clock import utcnow
from seats.errors import UnknownSeatType


def _known_type(session: Session, key: str) -> None:
    if all(t.key != key for t in seat_types.list_types(session, g.org_id)):
        raise UnknownSeatType(key)


def _group(session: Session, group_id: str) -> GroupRow:
    group = session.get(GroupRow, group_id)
    if group is None or group.org_id != g.org_id:
        raise Problem(404, "GROUP_NOT_FOUND", f"this organisation has no group {group_id!r}")
    return group


def list_seat_type_mappings(key: str) -> Response:
    """By group name, each with the users it reaches (nested groups included).
    ---
    get:
      summary: Groups whose members hold this seat type
      tags: [Seat types]
      parameters:
        - in: path
          name: key
          required: true
          schema: {type: string, example: premium}
      responses:
        200:
          description: The type's group mappings.
          content:
            application/json:
              schema: MappingListSchema
        404: NotFound
    """
    with current_db().transaction(write=False) as session:
        _known_type(session, key)
        found = seat_mappings.list_mappings(session, g.org_id, key)
    return json_response(MappingListSchema().dump({"mappings": found}))


@require_role(*MANAGERS)
def put_seat_type_mapping(key: str, group_id: str) -> Response:
    """Maps the group to this type (a group has one mapping: another type's gives way). Its
    users move now, or wait when the type is full; the write itself never fails for seats.
    ---
    put:
      summary: Members of a group hold this seat type
      tags: [Seat types]
      parameters:
        - in: path
          name: key
          required: true
          schema: {type: string, example: premium}
        - in: path
          name: group_id
          required: true
          schema: {type: string}
      responses:
        200:
          description: The mapping, made.
          content:
            application/json:
              schema: MappingSchema
        403: Forbidden
        404: NotFound
    """
    with current_db().transaction() as session:
        group = _group(session, group_id)
        seat_choice.map_group(session, g.org_id, group, key, actor=g.actor, now=utcnow())
        (made,) = seat_mappings.list_mappings(session, g.org_id, key, group_id)
    return json_response(MappingSchema().dump(made))


@require_role(*MANAGERS)
def delete_seat_type_mapping(key: str, group_id: str) -> Response:
    """Its users go back to what they want without it (another mapping, or the default).
    ---
    delete:
      summary: Remove a group's mapping to this seat type
      tags: [Seat types]
      parameters:
        - in: path
          name: key
          required: true
          schema: {type: string, example: premium}
        - in: path
          name: group_id
          required: true
          schema: {type: string}
      responses:
        204:
          description: Removed; its users moved or waiting.
        403: Forbidden
        404: NotFound
    """
    with current_db().transaction() as session:
        _known_type(session, key)
        group = _group(session, group_id)
        if not seat_mappings.list_mappings(session, g.org_id, key, group_id):
            raise Problem(404, "MAPPING_NOT_FOUND",
                          f"group {group_id!r} is not mapped to seat type {key!r}")
        seat_choice.map_group(session, g.org_id, group, None, actor=g.actor, now=utcnow())
    return Response(status=204)
