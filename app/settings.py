"""Configuration from SCIM_* environment variables, read once into a frozen object.

A source checkout also has a development configuration file, `var/dev.json`, written by
`make run` (`scim-seats dev-config`): development mode, a random signing key generated once
for this checkout, and the database URL `make run` used. It is read only when the
environment sets neither SCIM_DEV nor SCIM_SECRET_KEY, so a production environment (which
must set the key) never picks it up, and any SCIM_* variable in the environment wins over it.
"""
from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from limits import parse_many
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from seats.events import DEFAULT_FORECAST_ALERT_DAYS

DEFAULT_DATABASE_URL = "sqlite:///var/scim-seats.db"
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"
MIN_SECRET_LENGTH = 32
DATABASE_FILE = "scim-seats.db"
DEV_CONFIG_FILE = "dev.json"
# Variables that say which mode and key to use: when the environment sets one of them it
# configures the server itself and the development file stays out of the way.
MODE_VARIABLES = ("SCIM_DEV", "SCIM_SECRET_KEY")
_CHECKOUT_ROOT = Path(__file__).resolve().parents[1]
# Request limits (`limits` notation, several separated by ";"). Entra's gallery asks that a
# tenant may send at least 25 requests/s; Okta pushes in bursts (an import or a group push
# fires its requests at once). 600 per 10 s lets a token burst 600 requests and keep up
# 60/s; an org twice that, for a second token (two IdPs, or a move from one to another).
# The admin API serves people and scripts, not provisioning: a minute's window.
SCIM_TOKEN_RATE_LIMIT = "600 per 10 seconds"
SCIM_ORG_RATE_LIMIT = "1200 per 10 seconds"
ADMIN_TOKEN_RATE_LIMIT = "300 per minute"
ADMIN_ORG_RATE_LIMIT = "600 per minute"
IDEMPOTENCY_RETENTION_HOURS = 24
"""Clients retry within a day (Stripe keeps keys at least 24 h for the same reason)."""


class SettingsError(Exception):
    pass


def data_dir(env: Mapping[str, str]) -> Path | None:
    """SCIM_DATA_DIR, else `var/` of the source checkout this code runs from (an editable
    install, as `make` does), else None: an installed package has no data directory of its
    own, so nothing is ever created relative to the working directory."""
    if env.get("SCIM_DATA_DIR"):
        return Path(env["SCIM_DATA_DIR"]).expanduser().absolute()
    if (_CHECKOUT_ROOT / "pyproject.toml").is_file():
        return _CHECKOUT_ROOT / "var"
    return None


def _absolute_database_url(url: str) -> str:
    """A relative SQLite path is relative to the working directory; recorded for later use
    from anywhere, it must not be."""
    path = sqlite_file(url)
    if path is None:
        return url
    return make_url(url).set(database=str(path)).render_as_string(hide_password=False)


def read_dev_config(path: Path) -> dict[str, str]:
    """The SCIM_* variables recorded in a development configuration file; {} when absent."""
    try:
        loaded = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise SettingsError(f"{path} is unreadable ({exc}); delete it and run `make run`") from None
    if not isinstance(loaded, dict) or not all(
        name.startswith("SCIM_") and isinstance(value, str) for name, value in loaded.items()
    ):
        raise SettingsError(
            f'{path} must be a JSON object of SCIM_* strings, e.g. {{"SCIM_DEV": "1"}}')
    return loaded


def write_dev_config(env: Mapping[str, str]) -> Path:
    """Records development mode in the data directory, with a signing key generated on the
    first run and kept after (sessions and admin tokens survive restarts), and the database
    URL of this run if the environment names one. Readable by its owner only (0600)."""
    directory = data_dir(env)
    if directory is None:
        raise SettingsError("no data directory: set SCIM_DATA_DIR")
    path = directory / DEV_CONFIG_FILE
    config = read_dev_config(path)
    config["SCIM_DEV"] = "1"
    config.setdefault("SCIM_SECRET_KEY", secrets.token_urlsafe(32))
    config.pop("SCIM_DATABASE_URL", None)
    if env.get("SCIM_DATABASE_URL"):
        config["SCIM_DATABASE_URL"] = _absolute_database_url(env["SCIM_DATABASE_URL"])
    directory.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".dev-", suffix=".json")  # 0600
    with os.fdopen(fd, "w") as out:
        json.dump(config, out, indent=2)
    os.replace(temporary, path)
    return path


def effective_environment(env: Mapping[str, str]) -> tuple[dict[str, str], Path | None]:
    """The environment over the development file's values, and the file when it was used."""
    directory = data_dir(env)
    if directory is None or any(env.get(name) for name in MODE_VARIABLES):
        return dict(env), None
    path = directory / DEV_CONFIG_FILE
    recorded = read_dev_config(path)
    if not recorded:
        return dict(env), None
    return {**recorded, **env}, path


def _default_database_url(env: Mapping[str, str]) -> str:
    directory = data_dir(env)
    if directory is None:
        raise SettingsError("SCIM_DATABASE_URL must be set (or SCIM_DATA_DIR, for an SQLite "
                            "database in that directory)")
    return f"sqlite:///{directory / DATABASE_FILE}"


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


def _rate_limit(env: Mapping[str, str], name: str, default: str) -> str:
    """A limit in `limits` notation ("600 per 10 seconds", several joined by ";"), checked
    now so that a typo stops the server at start rather than at the first request."""
    value = env.get(name) or default
    try:
        parse_many(value)
    except ValueError:
        raise SettingsError(
            f"{name} must be a rate limit such as '600 per 10 seconds', got {value!r}") from None
    return value


def _retention_hours(env: Mapping[str, str]) -> int:
    hours = _integer(env, "SCIM_IDEMPOTENCY_RETENTION_HOURS", IDEMPOTENCY_RETENTION_HOURS)
    if hours < IDEMPOTENCY_RETENTION_HOURS:
        raise SettingsError(
            f"SCIM_IDEMPOTENCY_RETENTION_HOURS must be at least {IDEMPOTENCY_RETENTION_HOURS} "
            f"(clients retry within a day), got {hours}")
    return hours


@dataclass(frozen=True)
class Seller:
    """Who issues the invoices (SCIM_SELLER_*): printed on every invoice and its PDF."""

    name: str = "scim-seats"
    address: str = ""
    tax_id: str = ""
    email: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Seller:
        """The address may span lines: real newlines, or `\\n` where an environment file
        cannot hold one."""
        return cls(name=env.get("SCIM_SELLER_NAME") or cls.name,
                   address=env.get("SCIM_SELLER_ADDRESS", "").replace("\\n", "\n").strip(),
                   tax_id=env.get("SCIM_SELLER_TAX_ID", "").strip(),
                   email=env.get("SCIM_SELLER_EMAIL", "").strip())


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
    rate_limit_storage: str = "memory://"  # redis://host:port shares the limits between servers
    scim_token_rate_limit: str = SCIM_TOKEN_RATE_LIMIT
    scim_org_rate_limit: str = SCIM_ORG_RATE_LIMIT
    admin_token_rate_limit: str = ADMIN_TOKEN_RATE_LIMIT
    admin_org_rate_limit: str = ADMIN_ORG_RATE_LIMIT
    idempotency_retention_hours: int = IDEMPOTENCY_RETENTION_HOURS
    forecast_alert_days: int = DEFAULT_FORECAST_ALERT_DAYS  # seats.forecast within this many days
    seat_request_ttl_hours: int = 168  # an unanswered seat request leaves the queue after this
    dev_config: Path | None = None  # the development file these settings came from, if any
    seller: Seller = Seller()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """`env` is taken as the whole configuration; without it, the process environment
        over the checkout's development file (what the CLI and the server use)."""
        dev_config = None
        if env is None:
            env, dev_config = effective_environment(os.environ)
        dev_mode = env.get("SCIM_DEV", "0").lower() in ("1", "true", "yes")
        secret = env.get("SCIM_SECRET_KEY")
        if not secret:
            if not dev_mode:
                raise SettingsError(
                    "SCIM_SECRET_KEY must be set (a long random string); for local "
                    "development, run `make run` once in the checkout"
                )
            secret = DEV_SECRET_KEY
        if len(secret) < MIN_SECRET_LENGTH and not dev_mode:
            raise SettingsError(f"SCIM_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters")
        return cls(
            database_url=env.get("SCIM_DATABASE_URL") or _default_database_url(env),
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
            rate_limit_storage=env.get("SCIM_RATE_LIMIT_STORAGE") or "memory://",
            scim_token_rate_limit=_rate_limit(env, "SCIM_RATE_LIMIT_SCIM_TOKEN",
                                              SCIM_TOKEN_RATE_LIMIT),
            scim_org_rate_limit=_rate_limit(env, "SCIM_RATE_LIMIT_SCIM_ORG", SCIM_ORG_RATE_LIMIT),
            admin_token_rate_limit=_rate_limit(env, "SCIM_RATE_LIMIT_ADMIN_TOKEN",
                                               ADMIN_TOKEN_RATE_LIMIT),
            admin_org_rate_limit=_rate_limit(env, "SCIM_RATE_LIMIT_ADMIN_ORG",
                                             ADMIN_ORG_RATE_LIMIT),
            idempotency_retention_hours=_retention_hours(env),
            forecast_alert_days=_integer(env, "SCIM_FORECAST_ALERT_DAYS",
                                         DEFAULT_FORECAST_ALERT_DAYS),
            seat_request_ttl_hours=_integer(env, "SCIM_SEAT_REQUEST_TTL_HOURS", 168),
            dev_config=dev_config,
            seller=Seller.from_env(env),
        )

    @property
    def scim_base_url(self) -> str:
        return f"{self.base_url}/scim/v2"


def sqlite_file(database_url: str) -> Path | None:
    """The file behind an SQLite URL (None for other databases and in-memory SQLite):
    opening a missing one would silently create an empty database."""
    try:
        parsed = make_url(database_url)
    except ArgumentError:
        raise SettingsError(f"SCIM_DATABASE_URL is not a database URL: {database_url!r}") from None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).absolute()
