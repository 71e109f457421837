"""Every console page in one table, on one blueprint: CSRF, the session, the URL check, HTML
errors and security headers come with the blueprint (blueprint.py). Endpoints are the names
templates and redirects pass to url_for (`console.<endpoint>`); sign-in and sign-out are
public (blueprint.PUBLIC_ENDPOINTS)."""
from __future__ import annotations

from flask.typing import RouteCallable

from app.console import (
    audit,
    billing,
    billing_profile,
    exports,
    idle,
    seat_mappings,
    seat_policy,
    signin,
    tokens,
    usage,
    users,
)
from app.console.blueprint import bp

ROUTES: list[tuple[str, list[str], str, RouteCallable]] = [
    # (rule, methods, endpoint, view)
    ("/", ["GET"], "home", signin.home),
    ("/login", ["GET", "POST"], "login", signin.login),
    ("/login/link", ["GET", "POST"], "link", signin.link),
    ("/logout", ["POST"], "logout", signin.logout),
    ("/billing", ["GET"], "billing", billing.billing),
    ("/billing/seats", ["POST"], "price_seats", billing.price_seats),
    ("/billing/quotes/<quote_id>", ["GET"], "review", billing.review),
    ("/billing/seats/upgrade", ["POST"], "upgrade", billing.upgrade),
    ("/billing/purchases/<key>", ["GET"], "purchase_outcome", billing.purchase_outcome),
    ("/billing/seat-policy", ["POST"], "save_seat_policy", billing.save_seat_policy),
    ("/seat-requests", ["GET"], "seat_requests", seat_policy.queue),
    ("/seat-requests/<request_id>/approve", ["POST"], "approve_seat_request",
     seat_policy.approve),
    ("/seat-requests/<request_id>/deny", ["POST"], "deny_seat_request", seat_policy.deny),
    ("/billing/profile", ["GET"], "billing_profile", billing_profile.profile),
    ("/billing/profile", ["POST"], "save_billing_profile", billing_profile.save_profile),
    ("/billing/invoices/<number>", ["GET"], "invoice", billing.invoice),
    ("/billing/invoices/<number>.pdf", ["GET"], "invoice_pdf", billing.invoice_pdf),
    ("/usage", ["GET"], "usage", usage.usage),
    ("/usage/idle", ["GET"], "idle", idle.idle),
    ("/usage/idle.csv", ["GET"], "idle_csv", idle.idle_csv),
    ("/users", ["GET"], "users", users.users),
    ("/users/<user_id>/reassign", ["GET"], "reassign", users.reassign),
    ("/users/<user_id>/reassign", ["POST"], "confirm_reassign", users.confirm_reassign),
    ("/seat-types", ["GET"], "seat_mappings", seat_mappings.mappings),
    ("/seat-types/preview", ["GET"], "seat_mapping_preview", seat_mappings.preview),
    ("/seat-types/mappings", ["POST"], "change_seat_mapping", seat_mappings.change),
    ("/tokens", ["GET"], "tokens", tokens.tokens),
    ("/tokens", ["POST"], "create_token", tokens.create_token),
    ("/tokens/<token_id>/revoke", ["POST"], "revoke_token", tokens.revoke_token),
    ("/audit", ["GET"], "audit", audit.audit),
    ("/users.csv", ["GET"], "users_csv", exports.users_csv),
    ("/invoices.csv", ["GET"], "invoices_csv", exports.invoices_csv),
    ("/audit.csv", ["GET"], "audit_csv", exports.audit_csv),
]

for rule, methods, endpoint, view in ROUTES:
    bp.add_url_rule(rule, endpoint, view, methods=methods)

__all__ = ["bp"]
