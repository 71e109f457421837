"""Every admin API route in one table, on one blueprint: the token check, the URL check and
the problem documents come with the blueprint (blueprint.py). The endpoint is the view's name,
which is also its OpenAPI operationId (openapi.py). The OpenAPI document itself is served
outside the blueprint, without a token, so it is registered on the app."""
from __future__ import annotations

from flask.typing import RouteCallable

from app.admin import (
    alerts_api,
    audit_api,
    billing_api,
    directory_api,
    exports_api,
    idle_api,
    openapi,
    policy_api,
    seat_requests_api,
    seat_types_api,
    seats_api,
    tokens_api,
)
from app.admin.blueprint import bp

ROUTES: list[tuple[str, list[str], str, RouteCallable]] = [
    # (rule, methods, endpoint, view)
    ("/seats", ["GET"], "get_seats", seats_api.get_seats),
    ("/seats", ["PUT"], "put_seats", seats_api.put_seats),
    ("/seats/quotes", ["POST"], "create_quote", seats_api.create_quote),
    ("/seats/purchases", ["POST"], "create_purchase", seats_api.create_purchase),
    ("/seats/policy", ["GET"], "get_seat_policy", policy_api.get_seat_policy),
    ("/seats/policy", ["PUT"], "put_seat_policy", policy_api.put_seat_policy),
    ("/seat-requests", ["GET"], "list_seat_requests", seat_requests_api.list_seat_requests),
    ("/seat-requests/<request_id>/approve", ["POST"], "approve_seat_request",
     seat_requests_api.approve_seat_request),
    ("/seat-requests/<request_id>/deny", ["POST"], "deny_seat_request",
     seat_requests_api.deny_seat_request),
    ("/seats/reassignments", ["POST"], "reassign", seats_api.reassign),
    ("/seats/idle", ["GET"], "list_idle_seats", idle_api.list_idle_seats),
    ("/seats/idle.csv", ["GET"], "idle_seats_csv", idle_api.idle_seats_csv),
    ("/invoices", ["GET"], "list_invoices", seats_api.list_invoices),
    ("/invoices/<number>", ["GET"], "get_invoice", seats_api.get_invoice),
    ("/renewal", ["GET"], "get_renewal", seats_api.get_renewal),
    ("/scim-tokens", ["POST"], "create_scim_token", tokens_api.create_scim_token),
    ("/scim-tokens", ["GET"], "list_scim_tokens", tokens_api.list_scim_tokens),
    ("/scim-tokens/<token_id>", ["DELETE"], "revoke_scim_token", tokens_api.revoke_scim_token),
    ("/seat-types/<key>/mappings", ["GET"], "list_seat_type_mappings",
     seat_types_api.list_seat_type_mappings),
    ("/seat-types/<key>/mappings/<group_id>", ["PUT"], "put_seat_type_mapping",
     seat_types_api.put_seat_type_mapping),
    ("/seat-types/<key>/mappings/<group_id>", ["DELETE"], "delete_seat_type_mapping",
     seat_types_api.delete_seat_type_mapping),
    ("/users", ["GET"], "list_directory_users", directory_api.list_directory_users),
    ("/audit", ["GET"], "list_audit_events", audit_api.list_audit_events),
    ("/alerts", ["GET"], "get_alerts", alerts_api.get_alerts),
    ("/alerts", ["PUT"], "put_alerts", alerts_api.put_alerts),
    ("/billing-profile", ["GET"], "get_billing_profile", billing_api.get_billing_profile),
    ("/billing-profile", ["PUT"], "put_billing_profile", billing_api.put_billing_profile),
    ("/users.csv", ["GET"], "export_users", exports_api.export_users),
    ("/invoices.csv", ["GET"], "export_invoices", exports_api.export_invoices),
    ("/audit.csv", ["GET"], "export_audit", exports_api.export_audit),
]

for rule, methods, endpoint, view in ROUTES:
    bp.add_url_rule(rule, endpoint, view, methods=methods)
bp.record_once(openapi.serve_outside_the_auth_hook)

__all__ = ["bp"]
