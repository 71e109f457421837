"""Configuration is read once from SCIM_* variables; a bad value is one clear error."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import Settings, SettingsError

CHECKOUT = Path(__file__).resolve().parents[2]


def test_defaults_in_dev_mode() -> None:
    settings = Settings.from_env({"SCIM_DEV": "1"})
    # the checkout's var/, wherever the command runs from
    assert settings.database_url == f"sqlite:///{CHECKOUT}/var/scim-seats.db"
    assert (settings.bulk_max_operations, settings.max_request_bytes) == (1000, 16 * 1_048_576)


def test_production_is_the_default_and_needs_a_long_secret() -> None:
    for env in ({}, {"SCIM_DEV": "0"}, {"SCIM_SECRET_KEY": "short"}):
        with pytest.raises(SettingsError, match="SCIM_SECRET_KEY"):
            Settings.from_env(env)
    assert Settings.from_env({"SCIM_DEV": "0", "SCIM_SECRET_KEY": "s" * 32}).dev_mode is False


@pytest.mark.parametrize("value", ["ten", "0", "-5", "1.5"])
def test_numbers_must_be_positive_whole_numbers(value: str) -> None:
    with pytest.raises(SettingsError, match="SCIM_BULK_MAX_OPERATIONS"):
        Settings.from_env({"SCIM_DEV": "1", "SCIM_BULK_MAX_OPERATIONS": value})
