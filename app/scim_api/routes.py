"""Every authenticated SCIM route in one table, on one blueprint: a bearer token (auth) and
the URL check (request) before each handler, and the path leniency (paths) and the cookieless
session (cookies) installed with it.
Discovery has a blueprint of its own, because it must answer without a token."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from flask import Blueprint, Response

from app.scim_api import bulk, groups, search, seat_types, users
from app.scim_api.auth import authenticate_scim_client, finish_request
from app.scim_api.cookies import install_cookieless_scim
from app.scim_api.paths import PREFIX, install_canonical_paths
from app.scim_api.request import check_url
from scim.listing import EVERYTHING, GROUPS, USERS, Source


def _listing(sources: Sequence[Source]) -> Callable[[], Response]:
    return partial(search.list_resources, sources)


READ, WRITE, PER_OPERATION = "read", "write", "per operation"

ROUTES: list[tuple[str, str, str, Callable[..., Response], str]] = [
    # (rule, method, endpoint, handler, its transaction)
    ("", "GET", "query_everything", _listing(EVERYTHING), READ),
    ("/.search", "POST", "search_everything", _listing(EVERYTHING), READ),
    ("/Users", "POST", "create_user", users.create_user, WRITE),
    ("/Users", "GET", "list_users", _listing([USERS]), READ),
    ("/Users/.search", "POST", "search_users", _listing([USERS]), READ),
    ("/Users/<user_id>", "GET", "get_user", users.get_user, READ),
    ("/Users/<user_id>", "PUT", "replace_user", users.replace_user, WRITE),
    ("/Users/<user_id>", "PATCH", "patch_user", users.patch_user, WRITE),
    ("/Users/<user_id>", "DELETE", "delete_user", users.delete_user, WRITE),
    ("/Groups", "POST", "create_group", groups.create_group, WRITE),
    ("/Groups", "GET", "list_groups", _listing([GROUPS]), READ),
    ("/Groups/.search", "POST", "search_groups", _listing([GROUPS]), READ),
    ("/Groups/<group_id>", "GET", "get_group", groups.get_group, READ),
    ("/Groups/<group_id>", "PUT", "replace_group", groups.replace_group, WRITE),
    ("/Groups/<group_id>", "PATCH", "patch_group", groups.patch_group, WRITE),
    ("/Groups/<group_id>", "DELETE", "delete_group", groups.delete_group, WRITE),
    ("/Bulk", "POST", "post_bulk", bulk.post_bulk, PER_OPERATION),
    ("/Roles", "GET", "list_roles", seat_types.list_roles, READ),
    ("/Roles/<key>", "GET", "get_role", seat_types.get_role, READ),
    ("/Entitlements", "GET", "list_entitlements", seat_types.list_entitlements, READ),
    ("/Entitlements/<key>", "GET", "get_entitlement", seat_types.get_entitlement, READ),
]

bp = Blueprint("scim", __name__, url_prefix=PREFIX)
# A read's transaction is opened by authentication, which reads the token in it; a write's
# by its handler (request_transaction); Bulk opens one per operation.
_READS = frozenset(f"{bp.name}.{endpoint}" for _, _, endpoint, _, kind in ROUTES if kind == READ)
bp.before_request(partial(authenticate_scim_client, _READS))
bp.before_request(check_url)
bp.teardown_request(finish_request)
bp.record_once(install_canonical_paths)
bp.record_once(install_cookieless_scim)
for rule, method, endpoint, handler, _ in ROUTES:
    bp.add_url_rule(rule, endpoint, handler, methods=[method])
