"""Configuration from SCIM_* environment variables, read once into a frozen object."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

DEFAULT_DATABASE_URL = "sqlite:///var/scim-seats.db"
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"
MIN_SECRET_LENGTH = 32


class SettingsError(Exception):
    pass


def _integer(env: Mapping[str, str], name: str, default: int) -> int:
    """A positive whole number, or one clear line naming the variable."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise SettingsError(f"{name} must be 1 or more, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = DEV_SECRET_KEY
    base_url: str = "http://127.0.0.1:8000"
    dev_mode: bool = True
    max_results: int = 1000
    default_count: int = 100
    max_seats_per_purchase: int = 10_000
    admin_jwt_issuer: str | None = None
    admin_jwt_audience: str | None = None
    admin_jwt_key_file: str | None = None
    admin_jwt_jwks_file: str | None = None
    oauth_token_ttl_seconds: int = 3600
    bulk_max_operations: int = 1000
    bulk_max_payload_size: int = 1_048_576
    max_request_bytes: int = 16 * 1_048_576
    metrics_token: str | None = None
    webhook_allow_private: bool = False  # deliver to loopback/private addresses (development)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        dev_mode = env.get("SCIM_DEV", "0").lower() in ("1", "true", "yes")
        secret = env.get("SCIM_SECRET_KEY")
        if not secret:
            if not dev_mode:
                raise SettingsError(
                    "SCIM_SECRET_KEY must be set (a long random string); for local "
                    "development only, SCIM_DEV=1 uses a well-known key"
                )
            secret = DEV_SECRET_KEY
        if len(secret) < MIN_SECRET_LENGTH and not dev_mode:
            raise SettingsError(f"SCIM_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters")
        return cls(
            database_url=env.get("SCIM_DATABASE_URL", DEFAULT_DATABASE_URL),
            secret_key=secret,
            base_url=env.get("SCIM_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            dev_mode=dev_mode,
            max_seats_per_purchase=_integer(env, "SCIM_MAX_SEATS_PER_PURCHASE", 10000),
            admin_jwt_issuer=env.get("SCIM_ADMIN_JWT_ISSUER") or None,
            admin_jwt_audience=env.get("SCIM_ADMIN_JWT_AUDIENCE") or None,
            admin_jwt_key_file=env.get("SCIM_ADMIN_JWT_KEY_FILE") or None,
            admin_jwt_jwks_file=env.get("SCIM_ADMIN_JWT_JWKS_FILE") or None,
            oauth_token_ttl_seconds=_integer(env, "SCIM_OAUTH_TOKEN_TTL", 3600),
            bulk_max_operations=_integer(env, "SCIM_BULK_MAX_OPERATIONS", 1000),
            bulk_max_payload_size=_integer(env, "SCIM_BULK_MAX_PAYLOAD_SIZE", 1048576),
            max_request_bytes=_integer(env, "SCIM_MAX_REQUEST_BYTES", 16 * 1_048_576),
            metrics_token=env.get("SCIM_METRICS_TOKEN") or None,
            webhook_allow_private=env.get("SCIM_WEBHOOK_ALLOW_PRIVATE", "") in ("1", "true", "yes"),
        )

    @property
    def scim_base_url(self) -> str:
        return f"{self.base_url}/scim/v2"
