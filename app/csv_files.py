"""CSV downloads that the admin API and the console both serve, streamed as rows are read.

Cells are text a spreadsheet will open, so any text cell a spreadsheet would read as a
formula is defused with a leading apostrophe (OWASP, "CSV Injection"): a userName such as
`=HYPERLINK(...)` comes from an IdP, not from the admin who opens the file."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from flask import Response, stream_with_context

Cell = str | int | None
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FLUSH_EVERY = 1000


def defuse(value: Any) -> Cell:
    """Numbers stay numbers (a negative count is not a formula); instants are ISO 8601 UTC."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: CRLF line ends, quotes only where needed
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([defuse(value) for value in row])
        if count % FLUSH_EVERY == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_download(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A streamed attachment; the request context stays available to the generator, which
    may read the database as the client downloads."""
    response = Response(stream_with_context(_lines(header, rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
