"""A directory of realistic size written straight into the database, for the in-process
profile (`profile_requests.py`) and, with the shared load generator's names and bodies, for
the HTTP benchmark's direct preload (`direct_preload.py`).

Run from the repository root; the server's modules are imported lazily so that `--help` of
the scripts works on a checkout where the app does not import yet.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.db import Database

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_JSON = "application/scim+json"
SEATS = 1_000_000
BATCH = 1_000  # users per preload transaction


@dataclass(frozen=True)
class Tenant:
    org_id: str
    token: str
    users: list[tuple[str, str]] = field(default_factory=list)  # (id, userName)


def now_utc() -> datetime:
    return datetime.now(UTC)


def user_document(prefix: str, n: int) -> dict[str, Any]:
    """The one place profile users are generated, for the preload and for POST /Users."""
    user_name = f"{prefix}.{n:07d}@bench.example.com"
    return {
        "schemas": [USER_URN],
        "userName": user_name,
        "name": {
            "givenName": f"Given{n}",
            "familyName": f"Family{prefix}",
            "formatted": f"Given{n} Family{prefix}",
        },
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        "active": True,
    }


def create_tenant(db: Database, slug: str) -> Tenant:
    from seats import credentials, orgs

    contract = orgs.NewContract(
        seats=SEATS, unit_price_minor=0, currency="USD", term_start=now_utc().date()
    )
    with db.transaction() as session:
        org = orgs.create_org(session, slug, contract, now_utc())
        _, secret = credentials.issue_token(session, org.id, "bench", now_utc())
        return Tenant(org_id=org.id, token=secret)


@cache
def _columns(mapped: type) -> tuple[tuple[str, str], ...]:
    """(column name, attribute) pairs, looked up once per class: at a million users the
    mapper inspection per row was a tenth of the preload."""
    from sqlalchemy import inspect

    return tuple((a.columns[0].name, a.key) for a in inspect(mapped).column_attrs)


def _column_values(obj: Any) -> dict[str, Any]:
    return {column: getattr(obj, key) for column, key in _columns(type(obj))}


def insert_users(session: Session, org_id: str, docs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Same rows as `create_user`, ~10x faster: each document goes through the app's own
    validation (`user_input`) and derivation of index columns and value rows
    (`users.store_user`, "the one place" that does it) on a transient UserRow, and the
    resulting rows are inserted with two Core executemany statements. The pool's `assigned`
    is raised under the pool lock, so assigned = active users still holds, and the org's
    user count by the batch; what is skipped is the per-user `seat.claimed` audit row,
    which no benchmarked request reads."""
    from scim import user_counts
    from scim.resources import user_input
    from scim.tables import UserRow, UserValueRow
    from scim.users import store_user
    from seats import seat_types, seating
    from seats.models import new_id

    now = now_utc()
    users: list[dict[str, Any]] = []
    values: list[dict[str, Any]] = []
    for doc in docs:
        data = user_input(doc)
        data.document.setdefault("active", True)
        row = UserRow(id=new_id(), org_id=org_id, active=False, created_at=now, version=0)
        store_user(row, data, now)
        users.append(_column_values(row))
        for value_row in row.values:
            value = _column_values(value_row)
            value.pop("id")
            value["user_id"] = row.id
            values.append(value)
    pool = seating.lock_and_renew(session, org_id, now)
    standard = seat_types.locked_types(session, pool).default  # pool and its type together
    for user in users:
        user["seat_type_key"] = standard.key if user["active"] else None
    seated = sum(1 for u in users if u["active"])
    pool.assigned += seated
    standard.assigned += seated
    session.execute(UserRow.__table__.insert(), users)
    if values:
        session.execute(UserValueRow.__table__.insert(), values)
    user_counts.change(session, org_id, len(users))
    return [(u["id"], u["user_name"]) for u in users]


def preload(db: Database, tenant: Tenant, prefix: str, count: int) -> float:
    """Adds `count` users to the tenant in transactions of BATCH users; returns seconds."""
    began = time.perf_counter()
    for batch_start in range(0, count, BATCH):
        docs = [user_document(prefix, n) for n in range(batch_start, min(batch_start + BATCH, count))]
        with db.transaction() as session:
            tenant.users.extend(insert_users(session, tenant.org_id, docs))
    return time.perf_counter() - began
