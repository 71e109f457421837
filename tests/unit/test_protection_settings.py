"""The settings of docs/spec/service-protection.md: request limits, their storage and the
retention of idempotency keys; a bad value stops the server at start with one clear line."""
from __future__ import annotations

import pytest

from app.factory import create_app
from app.settings import Settings, SettingsError


def test_defaults_serve_entra_and_okta_bursts() -> None:
    """111"""
    settings = Settings.from_env({"SCIM_DEV": "1"})
    assert settings.rate_limit_storage == "memory://"
    assert settings.scim_token_rate_limit == "600 per 10 seconds"  # 60/s, Entra asks 25
    assert settings.scim_org_rate_limit == "1200 per 10 seconds"
    assert (settings.admin_token_rate_limit, settings.admin_org_rate_limit) == (
        "300 per minute", "600 per minute")
    assert settings.idempotency_retention_hours == 24


def test_limits_are_read_from_the_environment() -> None:
    settings = Settings.from_env({
        "SCIM_DEV": "1", "SCIM_RATE_LIMIT_SCIM_TOKEN": "50/second;2000/minute",
        "SCIM_RATE_LIMIT_STORAGE": "redis://127.0.0.1:6380/0",
        "SCIM_IDEMPOTENCY_RETENTION_HOURS": "72"})
    assert settings.scim_token_rate_limit == "50/second;2000/minute"
    assert settings.rate_limit_storage == "redis://127.0.0.1:6380/0"
    assert settings.idempotency_retention_hours == 72


@pytest.mark.parametrize("variable", ["SCIM_RATE_LIMIT_SCIM_TOKEN", "SCIM_RATE_LIMIT_SCIM_ORG",
                                      "SCIM_RATE_LIMIT_ADMIN_TOKEN", "SCIM_RATE_LIMIT_ADMIN_ORG"])
def test_a_limit_that_does_not_parse_is_one_clear_error(variable: str) -> None:
    """112"""
    with pytest.raises(SettingsError, match=f"{variable} must be a rate limit"):
        Settings.from_env({"SCIM_DEV": "1", variable: "lots"})


def test_an_unknown_limit_storage_stops_the_app() -> None:
    """112"""
    with pytest.raises(SettingsError, match="SCIM_RATE_LIMIT_STORAGE is not usable"):
        create_app(Settings(database_url="sqlite://", rate_limit_storage="carrier-pigeon://x"))


@pytest.mark.parametrize("hours", ["1", "23"])
def test_idempotency_keys_are_kept_at_least_a_day(hours: str) -> None:
    """113"""
    with pytest.raises(SettingsError, match="at least 24"):
        Settings.from_env({"SCIM_DEV": "1", "SCIM_IDEMPOTENCY_RETENTION_HOURS": hours})
