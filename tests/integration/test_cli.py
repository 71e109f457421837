"""The operator's command line against a real database."""
from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.date_sensitive  # also run at each instant of tests/date_matrix.py




def test_create_org_issue_token_and_seats(run) -> None:
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    created = run("create-org", slug, "--seats", "7", "--price-minor", "30000",
                  "--currency", "usd", "--term-start", "2026-01-31", "--proration", "daily")
    assert created.exit_code == 0, created.output
    uuid.UUID(created.output.strip())
    token = run("issue-token", slug, "--name", "okta")
    assert token.exit_code == 0 and token.output.startswith("scs_")
    assert run("seats", slug).output.strip() == "total 7 / assigned 0 / free 7"


def test_duplicate_slug_is_one_clear_line(run) -> None:
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    assert run("create-org", slug, "--seats", "1").exit_code == 0
    again = run("create-org", slug, "--seats", "1")
    assert again.exit_code == 1
    assert again.output.strip() == f"Error: an organisation with slug '{slug}' already exists"


def test_unknown_org_is_one_clear_line(run) -> None:
    for command in (("issue-token", "nope-org"), ("seats", "nope-org")):
        result = run(*command)
        assert result.exit_code == 1
        assert result.output.strip() == "Error: no organisation with slug 'nope-org'"


def test_bad_input_is_refused(run) -> None:
    assert run("create-org", "x-bad-date", "--seats", "1", "--term-start", "2026-13-01").exit_code == 2
    assert run("create-org", "x-neg", "--seats", "-1").exit_code == 2
    bad_currency = run("create-org", f"x-{uuid.uuid4().hex[:6]}", "--seats", "1", "--currency", "US")
    assert bad_currency.exit_code == 1 and "ISO 4217" in bad_currency.output


def test_demo_is_idempotent_and_prints_a_fresh_token(run) -> None:
    slug = f"demo-{uuid.uuid4().hex[:8]}"
    first = run("demo", "--slug", slug)
    second = run("demo", "--slug", slug)
    assert first.exit_code == 0 and second.exit_code == 0
    assert "/scim/v2" in first.output
    token = lambda out: next(l for l in out.splitlines() if "token:" in l).split()[-1]  # noqa: E731
    assert token(first.output) != token(second.output)
    assert run("seats", slug).output.strip() == "total 5 / assigned 0 / free 5"


def test_admin_tokens_and_console_links_have_a_bounded_lifetime(run) -> None:
    slug = f"ttl-{uuid.uuid4().hex[:8]}"
    assert run("create-org", slug, "--seats", "1").exit_code == 0
    assert run("admin-token", slug, "--role", "viewer", "--ttl", str(7 * 86_400)).exit_code == 0
    assert run("admin-token", slug, "--role", "viewer", "--ttl", str(7 * 86_400 + 1)).exit_code == 2
    assert run("console-link", slug, "--role", "viewer", "--ttl", "86401").exit_code == 2
