"""CSV exports of an org's users, invoices and audit log, which the admin API and the console
both serve. Streamed in constant memory: rows are read in keyset batches, each batch in a
short read transaction of its own (no transaction stays open while a slow client downloads),
and written out with the stdlib csv writer as soon as a batch is read.

Cells are text a spreadsheet will open, so any text cell that a spreadsheet would read as a
formula is defused with a leading apostrophe (OWASP, "CSV Injection"): a userName such as
`=HYPERLINK(...)` comes from an IdP, not from the admin who opens the file."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from flask import Response, stream_with_context
from sqlalchemy.orm import Session

from app.context import current_db
from app.read_models import (
    AuditOldestFirst,
    InvoicesByNumber,
    Page,
    Position,
    UsersByCreation,
    audit_page,
    invoice_page,
    user_page,
)
from scim.tables import UserRow
from seats.models import AuditEvent, Invoice
from seats.money import to_major

Row = TypeVar("Row")
Cell = str | int | None
BATCH = 1000
"""Rows per read: large enough that a million users take a thousand short queries, small
enough that a batch's memory does not matter."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: Any) -> Cell:
    """Text that a spreadsheet would evaluate gets a leading apostrophe; numbers are written
    as numbers (a negative count is not a formula); instants as ISO 8601 UTC with a Z."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    text = value.isoformat() if isinstance(value, date) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: CRLF line ends, quotes only where needed
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([defuse(value) for value in row])
        if count % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_download(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A streamed attachment; the request context stays available to the generator, which
    reads the database as the client downloads."""
    response = Response(stream_with_context(_lines(header, rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def walk(read: Callable[[Session, Row | None], Page[Row]],
          cells: Callable[[Row], Iterable[Sequence[Any]]]) -> Iterator[Sequence[Any]]:
    """Every row, a batch per read transaction: `read` gets the last row of the batch before
    (None at first) and resumes after it. Cells are made inside the transaction, where lazy
    attributes can still load."""
    last: Row | None = None
    while True:
        with current_db().transaction(write=False) as session:
            page = read(session, last)
            batch = [line for row in page.rows for line in cells(row)]
        yield from batch
        if not page.more:
            return
        last = page.rows[-1]


USER_HEADER = ("id", "userName", "displayName", "externalId", "active", "seat", "created",
               "lastModified")


def _user_cells(user: UserRow) -> list[Sequence[Any]]:
    # A seat is held exactly by an active user (spec, "Words").
    return [(user.id, user.user_name, user.data.get("displayName"), user.external_id,
             "true" if user.active else "false", "held" if user.active else "none",
             user.created_at, user.last_modified_at)]


def users(org_id: str) -> Iterator[Sequence[Any]]:
    """In creation order (the (org_id, created_at, id) index), like the API's pages."""
    first = UsersByCreation(after=None, size=BATCH)
    return walk(lambda session, last: user_page(
        session, org_id, first if last is None else replace(first, after=Position.of(last))),
        _user_cells)


INVOICE_HEADER = ("number", "kind", "issued", "currency", "invoice_total", "line",
                  "description", "quantity", "unit_price", "months", "days", "period_start",
                  "period_end", "line_amount")


def _invoice_cells(invoice: Invoice) -> list[Sequence[Any]]:
    """One row per line, the invoice repeated on each, as accounting imports want; amounts
    in major units of the currency (`300.00`), exactly (Decimal)."""
    total = to_major(invoice.total_minor, invoice.currency)
    return [(invoice.number, invoice.kind, invoice.issued_at, invoice.currency, str(total),
             number, line.description, line.quantity,
             str(to_major(line.unit_price_minor, invoice.currency)), line.months, line.days,
             line.period_start, line.period_end, str(to_major(line.amount_minor, invoice.currency)))
            for number, line in enumerate(invoice.lines, start=1)]


def invoices(org_id: str) -> Iterator[Sequence[Any]]:
    first = InvoicesByNumber(after_seq=0, size=BATCH)
    return walk(lambda session, last: invoice_page(
        session, org_id, first if last is None else replace(first, after_seq=last.seq)),
        _invoice_cells)


AUDIT_HEADER = ("id", "at", "action", "actor", "actor_name", "subject", "subject_name",
                "total_before", "total_after", "assigned_before", "assigned_after", "detail")


def _audit_cells(entry: AuditEvent) -> list[Sequence[Any]]:
    return [(entry.id, entry.at, entry.action, entry.actor, entry.actor_name, entry.subject,
             entry.subject_name, entry.total_before, entry.total_after, entry.assigned_before,
             entry.assigned_after, entry.detail)]


def audit(org_id: str, *, action: str = "", user: str = "") -> Iterator[Sequence[Any]]:
    """Oldest first, with the filters of the audit page."""
    first = AuditOldestFirst(after=0, size=BATCH)
    return walk(lambda session, last: audit_page(
        session, org_id, first if last is None else replace(first, after=last.id),
        action=action, user=user), _audit_cells)
