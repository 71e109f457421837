"""Every authenticated SCIM route in one table, on one blueprint: a bearer token (auth) and
the URL check (request) before each handler, and the path leniency (paths) installed with it.
Discovery has a blueprint of its own, because it must answer without a token."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from flask import Blueprint, Response

from app.scim_api import bulk, groups, search, seat_types, users
from app.scim_api.auth import authenticate_scim_client
from app.scim_api.paths import PREFIX, install_canonical_paths
from app.scim_api.request import check_url
from scim.listing import EVERYTHING, GROUPS, USERS, Source


def _listing(sources: Sequence[Source]) -> Callable[[], Response]:
    return partial(search.list_resources, sources)


ROUTES: list[tuple[str, str, str, Callable[..., Response]]] = [
    # (rule, method, endpoint, handler)
    ("", "GET", "query_everything", _listing(EVERYTHING)),
    ("/.search", "POST", "search_everything", _listing(EVERYTHING)),
    ("/Users", "POST", "create_user", users.create_user),
    ("/Users", "GET", "list_users", _listing([USERS])),
    ("/Users/.search", "POST", "search_users", _listing([USERS])),
    ("/Users/<user_id>", "GET", "get_user", users.get_user),
    ("/Users/<user_id>", "PUT", "replace_user", users.replace_user),
    ("/Users/<user_id>", "PATCH", "patch_user", users.patch_user),
    ("/Users/<user_id>", "DELETE", "delete_user", users.delete_user),
    ("/Groups", "POST", "create_group", groups.create_group),
    ("/Groups", "GET", "list_groups", _listing([GROUPS])),
    ("/Groups/.search", "POST", "search_groups", _listing([GROUPS])),
    ("/Groups/<group_id>", "GET", "get_group", groups.get_group),
    ("/Groups/<group_id>", "PUT", "replace_group", groups.replace_group),
    ("/Groups/<group_id>", "PATCH", "patch_group", groups.patch_group),
    ("/Groups/<group_id>", "DELETE", "delete_group", groups.delete_group),
    ("/Bulk", "POST", "post_bulk", bulk.post_bulk),
    ("/Roles", "GET", "list_roles", seat_types.list_roles),
    ("/Roles/<key>", "GET", "get_role", seat_types.get_role),
    ("/Entitlements", "GET", "list_entitlements", seat_types.list_entitlements),
    ("/Entitlements/<key>", "GET", "get_entitlement", seat_types.get_entitlement),
]

bp = Blueprint("scim", __name__, url_prefix=PREFIX)
bp.before_request(authenticate_scim_client)
bp.before_request(check_url)
bp.record_once(install_canonical_paths)
for rule, method, endpoint, handler in ROUTES:
    bp.add_url_rule(rule, endpoint, handler, methods=[method])
