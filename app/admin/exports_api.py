"""CSV downloads of the org's users, invoices and audit log (app.exports): streamed, so an
org of a million users exports in constant memory. Every role may export what it may read."""
from __future__ import annotations

from flask import Response, g, request
from marshmallow import EXCLUDE

from app import exports
from app.admin.schemas import AuditFilterSchema, load


def export_users() -> Response:
    """Spreadsheets and HR tools want the whole directory at once; the JSON pages
    (GET /users) are for programs.
    ---
    get:
      summary: Every user with its seat state, as CSV
      tags: [Exports]
      responses:
        200:
          description: "Columns: id, userName, displayName, externalId, active, seat (held or
            none), created, lastModified. Oldest first; text cells that a spreadsheet would read
            as a formula (= + - @) start with an apostrophe."
          content:
            text/csv:
              schema: {type: string}
    """
    return exports.csv_download("users.csv", exports.USER_HEADER, exports.users(g.org_id))


def export_invoices() -> Response:
    """One row per invoice line, the invoice's number, dates and total repeated on each, as
    accounting imports expect.
    ---
    get:
      summary: Every invoice line, as CSV
      tags: [Exports]
      responses:
        200:
          description: "Columns: number, kind, issued, currency, invoice_total, line,
            description, quantity, unit_price, months, days, period_start, period_end,
            line_amount. Amounts in major units (300.00), oldest invoice first."
          content:
            text/csv:
              schema: {type: string}
    """
    return exports.csv_download("invoices.csv", exports.INVOICE_HEADER,
                                exports.invoices(g.org_id))


def export_audit() -> Response:
    """The whole log, or the part the filters of GET /audit select.
    ---
    get:
      summary: The audit log, as CSV
      tags: [Exports]
      parameters:
        - in: query
          schema: AuditFilterSchema
      responses:
        200:
          description: "Columns: id, at, action, actor, actor_name, subject, subject_name,
            total_before, total_after, assigned_before, assigned_after, detail. Oldest first."
          content:
            text/csv:
              schema: {type: string}
        400: InvalidInput
    """
    query = load(AuditFilterSchema(unknown=EXCLUDE), request.args, "INVALID_QUERY")
    return exports.csv_download("audit.csv", exports.AUDIT_HEADER, exports.audit(
        g.org_id, action=query.get("action", ""), user=query.get("user", "")))
