"""Term arithmetic on dates. Month boundaries are always counted from the anchor, never
chained, so a term anchored on 31 January has boundaries 28/29 Feb, 31 Mar, 30 Apr, ..."""
from __future__ import annotations

import calendar
from datetime import date

TERM_MONTHS = 12


def add_months(anchor: date, months: int) -> date:
    month_index = anchor.month - 1 + months
    year = anchor.year + month_index // 12
    month = month_index % 12 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def term_end(start: date) -> date:
    """Exclusive end of the 12-month term that starts on `start`."""
    return add_months(start, TERM_MONTHS)
