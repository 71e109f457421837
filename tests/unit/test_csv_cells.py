"""CSV cells a spreadsheet would run as formulas are defused (OWASP "CSV Injection"):
docs/spec/forecast-and-idle.md, edge case 332."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.exports import defuse


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_defused_and_numbers_kept(text: str) -> None:
    assert defuse(text) == "'" + text
    assert defuse("ada@example.com") == "ada@example.com"
    assert (defuse(-3), defuse(None)) == (-3, None)
    plus_two = datetime(2027, 3, 15, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert defuse(plus_two) == defuse(datetime(2027, 3, 15, 12, 0, tzinfo=UTC)) == \
        "2027-03-15T12:00:00Z"
