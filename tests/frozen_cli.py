"""`scim-seats` for processes the tests start on a moved clock (tests/clock.py): the first
argument is the offset in seconds from the real clock, the rest go to the real CLI. Run as
a script, so it puts the checkout on the import path itself."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.clock import travel_by  # noqa: E402

travel_by(float(sys.argv.pop(1)))

from app.cli import main  # noqa: E402

if __name__ == "__main__":
    main(prog_name="scim-seats")
