"""Shared test helpers: a SCIM client bound to one org's token, and a snapshot of everything
a refused request must leave untouched."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.db import Database
from scim import signin
from scim.schemas import USER, USER_SCHEMA
from scim.tables import UserRow, UserValueRow
from scim.users import WriteContext
from seats.errors import NoSeatAvailable
from seats.models import AuditEvent, SeatPool, SeatType
from tests.conftest import NOW

SCIM_JSON = "application/scim+json"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"

CREDENTIAL_TTL = timedelta(hours=12)
"""Admin tokens and console links the tests issue at the run's NOW: they outlive any run, so
servers that check them against their own running clock never see them expire mid-run."""
CREDENTIAL_TTL_SECONDS = int(CREDENTIAL_TTL.total_seconds())


def user_body(user_name: str, **attributes: Any) -> dict[str, Any]:
    return {"schemas": [USER_URN], "userName": user_name, **attributes}


def patch_body(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_URN], "Operations": list(operations)}


@dataclass
class Scim:
    """Test client for one org: every call carries that org's bearer token."""

    client: FlaskClient
    token: str
    org_id: str
    org_slug: str = ""

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/scim/v2{path}", headers=self._headers(), query_string=params)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(
            f"/scim/v2{path}", json=body, headers=self._headers(), content_type=SCIM_JSON
        )

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(
            f"/scim/v2{path}", json=body, headers=self._headers(), content_type=SCIM_JSON
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            f"/scim/v2{path}", json=body, headers=self._headers(), content_type=SCIM_JSON
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/scim/v2{path}", headers=self._headers())

    def create(self, user_name: str, **attributes: Any) -> dict[str, Any]:
        response = self.post("/Users", user_body(user_name, **attributes))
        assert response.status_code == 201, response.get_json()
        return response.get_json()


@dataclass(frozen=True)
class Snapshot:
    users: list[tuple[Any, ...]]
    values: int
    total: int
    assigned: int
    audit: list[tuple[str, str | None]]


def snapshot(database: Database, org_id: str) -> Snapshot:
    """Everything of an org a refused write must not change (audit listed separately, since
    a seat refusal adds exactly one `seat.refused` entry)."""
    with database.transaction(write=False) as session:
        users = [
            (r.id, r.user_name, r.active, r.version, r.data, r.seat_type_key,
             r.waiting_seat_type_key)
            for r in session.scalars(
                select(UserRow).where(UserRow.org_id == org_id).order_by(UserRow.id)
            )
        ]
        values = session.scalar(
            select(func.count()).select_from(UserValueRow).where(UserValueRow.org_id == org_id)
        )
        pool = session.get_one(SeatPool, org_id)
        audit = [
            (a.action, a.subject)
            for a in session.scalars(
                select(AuditEvent).where(AuditEvent.org_id == org_id).order_by(AuditEvent.id)
            )
        ]
        return Snapshot(users, values or 0, pool.total, pool.assigned, audit)


def active_users(database: Database, org_id: str) -> int:
    with database.transaction(write=False) as session:
        return session.scalar(
            select(func.count()).select_from(UserRow).where(
                UserRow.org_id == org_id, UserRow.active.is_(True)
            )
        ) or 0


def assert_seat_invariant(database: Database, org_id: str) -> None:
    """Invariant 1 of the spec: 0 ≤ assigned ≤ total and assigned = active users."""
    state = snapshot(database, org_id)
    assert 0 <= state.assigned <= state.total
    assert state.assigned == active_users(database, org_id)
    assert_seat_type_invariant(database, org_id)


def assert_seat_type_invariant(database: Database, org_id: str) -> None:
    """Per seat type (docs/spec/seat-types.md): 0 ≤ assigned ≤ total, assigned = active users
    holding it, the pool is the sum of its types, exactly one default, only active users
    hold a type, and a user waits only for a type other than the one held."""
    with database.transaction(write=False) as session:
        pool = session.get_one(SeatPool, org_id)
        types = session.scalars(select(SeatType).where(SeatType.org_id == org_id)).all()
        held = {type_id: count for type_id, count in session.execute(
            select(UserRow.seat_type_key, func.count()).where(
                UserRow.org_id == org_id, UserRow.active.is_(True)
            ).group_by(UserRow.seat_type_key)
        )}
        unseated_holding = session.scalar(select(func.count()).select_from(UserRow).where(
            UserRow.org_id == org_id, UserRow.active.is_(False),
            (UserRow.seat_type_key.is_not(None)) | (UserRow.waiting_seat_type_key.is_not(None)),
        ))
        waiting_for_held = session.scalar(select(func.count()).select_from(UserRow).where(
            UserRow.org_id == org_id, UserRow.waiting_seat_type_key == UserRow.seat_type_key,
        ))
    assert [t.is_default for t in types].count(True) == 1
    assert None not in held, "an active user holds no seat type"
    for seat_type in types:
        assert 0 <= seat_type.assigned <= seat_type.total
        assert seat_type.assigned == held.get(seat_type.key, 0), seat_type.key
    assert (pool.total, pool.assigned) == (
        sum(t.total for t in types), sum(t.assigned for t in types))
    assert unseated_holding == 0 and waiting_for_held == 0


def assert_scim_error(response: Any, status: int, scim_type: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == SCIM_JSON
    body = response.get_json()
    assert body["schemas"] == [ERROR_URN]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert body["detail"]
    return body


@dataclass
class Admin:
    """Admin API client for one org and role; `scim` provisions users in the same org."""

    client: FlaskClient
    token: str
    scim: Scim

    @property
    def org_id(self) -> str:
        return self.scim.org_id

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/admin/v1{path}", headers=self._headers(), query_string=params)

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(f"/admin/v1{path}", json=body, headers=self._headers(headers))

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(f"/admin/v1{path}", json=body, headers=self._headers())

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/admin/v1{path}", headers=self._headers())

    def as_role(self, role: str) -> Admin:
        """The same org, seen by another role."""
        token = admin_token(self.client.application, self.scim.org_slug, role)
        return Admin(client=self.client, token=token, scim=self.scim)


def admin_token(app: Any, slug: str, role: str, sub: str = "owner@example.com",
                now: datetime = NOW) -> str:
    """Issued at `now`: the run's NOW, or the instant a test has moved the clock to."""
    from app.signed_tokens import issue_admin_token

    return issue_admin_token(app.extensions["settings"], slug=slug, role=role, sub=sub,
                             ttl_seconds=CREDENTIAL_TTL_SECONDS, now=now)


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["code"] == code
    assert body["type"] and body["title"] and body["detail"]
    return body


FILTER_T0 = datetime(2026, 1, 1, tzinfo=UTC)
MULTI_VALUED = [a.name for a in USER.attributes if a.multi_valued]


def user_row(
    org_id: str,
    resource: dict[str, Any],
    *,
    created: datetime = FILTER_T0,
    modified: datetime | None = None,
) -> UserRow:
    """A user stored the way the directory stores one: the resource in `data`, the indexed
    columns beside it and one value row per element of a multi-valued attribute."""
    row = UserRow(
        org_id=org_id,
        user_name=resource["userName"],
        user_name_norm=resource["userName"].lower(),
        external_id=resource.get("externalId"),
        active=resource.get("active", True),
        data={"schemas": [USER_SCHEMA], **resource},
        created_at=created,
        last_modified_at=modified or created,
    )
    for attribute in MULTI_VALUED:
        for element in resource.get(attribute, []):
            value = element.get("value")
            row.values.append(
                UserValueRow(
                    org_id=org_id,
                    attribute=attribute,
                    value=value,
                    value_norm=value.lower() if value is not None else None,
                    type=element.get("type"),
                    primary=element.get("primary", False),
                    display=element.get("display"),
                    data=element,
                )
            )
    return row


def open_seat_requests(database: Database, org_id: str, people: int) -> list[str]:
    """`people` seat requests of an org under the `request` policy, opened as SSO sign-ins
    that found no free seat open them; their ids, oldest first."""
    ids = []
    for i in range(people):
        with database.transaction() as session:
            identity = signin.Identity(email=f"asker{i}@example.com", preferred_username=None)
            ctx = WriteContext(org_id=org_id, actor="sso:https://idp.example.com/", now=NOW)
            asked = signin.request_seat(session, identity, NoSeatAvailable(total=0, assigned=0),
                                        ctx, timedelta(hours=168))
            assert asked is not None, "the org's policy is not request"
            ids.append(asked.request.id)
    return ids


def add_premium(database: Database, org_id: str, seats: int, *, now: datetime = NOW,
                minimum_seats: int = 0, actor: str = "test") -> None:
    """The second seat type the seat-type tests sell: `premium`, at twice the standard price
    and ranked above the default, so a user asking for it or mapped to it moves up."""
    from seats import seat_types, seating
    from seats.seat_types import NewSeatType

    with database.transaction() as session:
        pool = seating.lock_and_renew(session, org_id, now)
        seat_types.add_type(session, pool, NewSeatType("premium", "Premium", 60_000, seats=seats,
                                                       rank=10, minimum_seats=minimum_seats),
                            actor=actor, now=now)
