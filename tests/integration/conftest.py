"""Fixtures of the integration tests that drive the `scim-seats` command line."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from app.cli import main

Run = Callable[..., Result]
"""`run("seats", "acme")` runs `scim-seats seats acme` on the test's database."""


@pytest.fixture
def run(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)
