"""The console's CSV downloads: the same streamed exports as the admin API (app.exports),
linked from the users, billing and audit pages. Every role may download what it may read."""
from __future__ import annotations

from flask import Response, g

from app import exports
from app.console.audit import audit_filters


def users_csv() -> Response:
    return exports.csv_download("users.csv", exports.USER_HEADER, exports.users(g.org_id))


def invoices_csv() -> Response:
    return exports.csv_download("invoices.csv", exports.INVOICE_HEADER,
                                exports.invoices(g.org_id))


def audit_csv() -> Response:
    """With the filters of the audit page it was linked from."""
    action, user = audit_filters()
    return exports.csv_download("audit.csv", exports.AUDIT_HEADER,
                                exports.audit(g.org_id, action=action, user=user))
