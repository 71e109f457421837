"""The layering of the design holds: app → scim → seats, one way; no commits below app."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_linter_contracts_hold() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout


def test_no_commit_below_the_app_layer() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in ("scim", "seats")
        for path in (ROOT / package).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bcommit\(", line)
    ]
    assert offenders == []
