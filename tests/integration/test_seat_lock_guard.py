"""The fail-closed guard under the PATCH lock decision: `scim.patch.Patch.writes` decides from
the parsed operations whether a PATCH takes the seat lock. Should it ever misjudge a body, the
write must fail and roll back rather than flip `active` without claiming or freeing a seat."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from app.db import Database
from scim import users
from scim.patch import Patch
from tests.conftest import NOW, OrgRef
from tests.support import snapshot

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.mark.parametrize("active", [True, False])
def test_a_misjudged_patch_changes_nothing(
    make_org: Callable[..., OrgRef], database: Database, monkeypatch: pytest.MonkeyPatch,
    active: bool,
) -> None:
    org = make_org(3)
    ctx = users.WriteContext(org_id=org.id, actor="idp", now=NOW)
    with database.transaction() as session:
        user_id = users.create_user(session, {"userName": "ada", "active": not active}, ctx).id
    before = snapshot(database, org.id)
    monkeypatch.setattr(Patch, "writes", lambda *args: False)  # the decision gets it wrong
    body = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": active}]}
    with pytest.raises(RuntimeError, match="without the seat lock"):
        with database.transaction() as session:
            users.patch_user(session, user_id, body, ctx)
    assert snapshot(database, org.id) == before
