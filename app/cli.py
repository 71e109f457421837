"""The operator's command line: `scim-seats db upgrade | create-org | issue-token | seats |
serve | demo | dev-config | …`. Configured by SCIM_* environment variables (in a checkout, over
the development file `make run` writes); errors print one line and exit 1."""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from functools import wraps
from typing import Any, TypeVar

import click
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app import migrate
from app.console.links import DEFAULT_TTL as CONSOLE_LINK_TTL
from app.console.links import issue_link
from app.db import Database
from app.roles import OWNER, ROLES
from app.settings import Settings, SettingsError, sqlite_file, write_dev_config
from app.signed_tokens import issue_admin_token
from app.sso import validate_key_source
from scim import seat_choice
from seats import audit, credentials, idempotency, orgs, pool_full, renewal, seat_types, seating
from seats.billing_profiles import BillingDetails, save_billing_profile
from seats.clock import utcnow
from seats.errors import OrgAlreadyExists, SeatsError
from seats.models import POOL_FULL_POLICIES, PRORATION_POLICIES
from seats.seat_types import NewSeatType
from seats.sso_providers import configure_provider

F = TypeVar("F", bound=Callable[..., Any])
DEMO_TOKEN_NAME = "demo"
CLI_ACTOR = "cli"
"""The audit log's actor for changes made on the server's command line (an operator)."""


def _one_line_errors(func: F) -> F:
    """Domain and configuration errors are the operator's to fix: say what, not a trace."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (SeatsError, SettingsError) as exc:
            raise click.ClickException(str(exc)) from exc
        except DBAPIError as exc:  # unreachable server, missing schema: the driver says which
            reason = str(exc.orig).strip().splitlines()[0]
            raise click.ClickException(f"database error: {reason}") from exc

    return wrapper  # type: ignore[return-value]


def _settings() -> Settings:
    return Settings.from_env()


def _database_url(settings: Settings, *, create: bool = False) -> str:
    """Only `db upgrade` may create an SQLite file: anywhere else a missing one means the
    wrong directory or configuration, and SQLite would silently create it empty."""
    path = sqlite_file(settings.database_url)
    if path is not None and not create and not path.exists():
        raise click.ClickException(
            f"no database at {path}: run `make run` in the checkout (or `scim-seats db "
            "upgrade`) first, or set SCIM_DATABASE_URL")
    return settings.database_url


@contextmanager
def _transaction() -> Iterator[Session]:
    db = Database(_database_url(_settings()))
    try:
        with db.transaction() as session:
            yield session
    finally:
        db.dispose()


@click.group()
def main() -> None:
    """scim-seats: SCIM 2.0 provisioning with seat enforcement."""


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@_one_line_errors
def db_upgrade() -> None:
    """Apply the Alembic migrations up to head."""
    migrate.upgrade(_database_url(_settings(), create=True))
    click.echo("database is at the latest schema")


@main.command("create-org")
@click.argument("slug")
@click.option("--seats", type=click.IntRange(min=0), required=True, help="Seats in the first term.")
@click.option("--price-minor", type=click.IntRange(min=0), default=0, show_default=True,
              help="Annual per-seat price in minor units (cents).")
@click.option("--currency", default="USD", show_default=True)
@click.option("--term-start", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="First day of the term (YYYY-MM-DD); default today (UTC).")
@click.option("--min-seats", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--auto-renew/--no-auto-renew", default=True, show_default=True)
@click.option("--proration", type=click.Choice(PRORATION_POLICIES), default="monthly",
              show_default=True)
@_one_line_errors
def create_org(slug: str, seats: int, price_minor: int, currency: str, term_start: Any,
               min_seats: int, auto_renew: bool, proration: str) -> None:
    """Create an organisation with its contract and seat pool; prints the org id."""
    start: date = term_start.date() if term_start else utcnow().date()
    contract = orgs.NewContract(
        seats=seats, unit_price_minor=price_minor, currency=currency.upper(), term_start=start,
        minimum_seats=min_seats, auto_renew=auto_renew, proration=proration,
    )
    with _transaction() as session:
        org = orgs.create_org(session, slug, contract, utcnow())
        click.echo(org.id)


@main.command("issue-token")
@click.argument("slug")
@click.option("--name", default="scim", show_default=True, help="A label for the token.")
@_one_line_errors
def issue_token(slug: str, name: str) -> None:
    """Print a new SCIM bearer token for the org. It is shown once; only its hash is kept."""
    with _transaction() as session:
        org = orgs.org_by_slug(session, slug)
        _, secret = credentials.issue_token(session, org.id, name, utcnow(), CLI_ACTOR)
    click.echo(secret)


@main.command("seats")
@click.argument("slug")
@_one_line_errors
def seats(slug: str) -> None:
    """Print total / assigned / free seats of the org, then one line per seat type when it
    sells several (with one, the first line is that type's)."""
    with _transaction() as session:
        org_id = orgs.org_by_slug(session, slug).id
        counts = seating.seat_counts(session, org_id)
        lines = seat_choice.type_lines(session, org_id)
    click.echo(f"total {counts.total} / assigned {counts.assigned} / free {counts.free}")
    for line in lines if len(lines) > 1 else ():
        default = " (default)" if line.is_default else ""
        click.echo(f"{line.key}{default}: total {line.total} / assigned {line.assigned} / "
                   f"free {line.free} / waiting {line.waiting}")


@main.command("seat-policy")
@click.argument("slug")
@click.option("--policy", type=click.Choice(POOL_FULL_POLICIES), default=None,
              help="Set what an activation does when no seat is free (omit to print it).")
@click.option("--max-auto-seats", type=click.IntRange(min=0), default=0, show_default=True,
              help="auto_top_up: seats bought automatically per term, at least 1.")
@_one_line_errors
def seat_policy(slug: str, policy: str | None, max_auto_seats: int) -> None:
    """Print the org's pool-full policy, or set it as its primary owner does (audited)."""
    with _transaction() as session:
        org_id = orgs.org_by_slug(session, slug).id
        if policy is not None:
            pool_full.save_policy(session, org_id, pool_full.PoolFullPolicy(policy, max_auto_seats),
                                  actor=CLI_ACTOR, now=utcnow())
        current = pool_full.policy_of(session, org_id)
        bought = pool_full.auto_seats_this_term(session, org_id)
    suffix = f"; {bought} bought this term" if current.policy == pool_full.AUTO_TOP_UP else ""
    click.echo(f"{slug}: {current.describe()}{suffix}")


@main.group("seat-type")
def seat_type() -> None:
    """An org's seat types and the IdP groups mapped to them."""


@seat_type.command("add")
@click.argument("slug")
@click.argument("key")
@click.option("--name", required=True, help="Display name, e.g. Premium.")
@click.option("--price-minor", type=click.IntRange(min=0), required=True,
              help="Annual price per seat, in minor units of the contract's currency.")
@click.option("--seats", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--rank", type=int, default=0, show_default=True,
              help="Higher is more capable; the highest-ranked mapped group wins.")
@click.option("--default", "is_default", is_flag=True, help="Make it the org's default type.")
@_one_line_errors
def seat_type_add(slug: str, key: str, name: str, price_minor: int, seats: int, rank: int,
                  is_default: bool) -> None:
    """Add a seat type to the org's contract, with its first seats."""
    with _transaction() as session:
        pool = seating.lock_and_renew(session, orgs.org_by_slug(session, slug).id, utcnow())
        seat_types.add_type(session, pool, NewSeatType(
            key=key, name=name, unit_price_minor=price_minor, seats=seats, rank=rank,
            is_default=is_default), actor="operator:cli", now=utcnow())
    click.echo(f"{key}: {seats} seats")


@seat_type.command("map")
@click.argument("slug")
@click.argument("group_display_name")
@click.argument("key")
@_one_line_errors
def seat_type_map(slug: str, group_display_name: str, key: str) -> None:
    """Members of the group (as the IdP provisioned it over SCIM, nested groups included)
    hold seat type KEY unless they ask for another; they move now, or wait for a seat."""
    _map_group(slug, group_display_name, key)
    click.echo(f"{group_display_name} -> {key}")


def _map_group(slug: str, group_display_name: str, key: str | None) -> None:
    """One transaction: the mapping changes and its users move (or wait) with it."""
    with _transaction() as session:
        org_id = orgs.org_by_slug(session, slug).id
        group = seat_choice.group_named(session, org_id, group_display_name)
        seat_choice.map_group(session, org_id, group, key, actor="operator:cli", now=utcnow())


@seat_type.command("unmap")
@click.argument("slug")
@click.argument("group_display_name")
@_one_line_errors
def seat_type_unmap(slug: str, group_display_name: str) -> None:
    """Remove the group's mapping; its members go back to what they ask for or the default."""
    _map_group(slug, group_display_name, None)
    click.echo(f"{group_display_name} unmapped")


@main.command("admin-token")
@click.argument("slug")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--sub", default="owner@localhost", show_default=True, help="The admin's identity.")
@click.option("--ttl", type=click.IntRange(min=1, max=7 * 86_400), default=3600,
              show_default=True,
              help="Lifetime in seconds, at most 7 days: admin tokens cannot be revoked early.")
@_one_line_errors
def admin_token(slug: str, role: str, sub: str, ttl: int) -> None:
    """Print an admin API token (a JWT signed with SCIM_SECRET_KEY) for the org."""
    settings = _settings()
    with _transaction() as session:
        orgs.org_by_slug(session, slug)
    click.echo(issue_admin_token(settings, slug=slug, role=role, sub=sub, ttl_seconds=ttl,
                                 now=utcnow()))


@main.command("renew-due")
@_one_line_errors
def renew_due() -> None:
    """Roll over every auto-renewing org whose term has ended (safe to run concurrently and
    repeatedly: each renewal happens under the org's pool lock, once per term)."""
    db = Database(_database_url(_settings()))
    try:
        with db.transaction(write=False) as session:
            due = renewal.due_org_ids(session, utcnow())
        renewed = 0
        for org_id in due:
            with db.transaction() as session:
                renewed += seating.renew_if_due(session, org_id, utcnow())
        click.echo(f"renewed {renewed} term(s) in {len(due)} organisation(s) due")
    finally:
        db.dispose()


@main.command("purge")
@_one_line_errors
def purge() -> None:
    """Delete Idempotency-Keys unused for SCIM_IDEMPOTENCY_RETENTION_HOURS (default 24; run
    daily). A retry within the retention still replays its purchase; one after it buys anew."""
    hours = _settings().idempotency_retention_hours
    with _transaction() as session:
        purged = idempotency.purge(session, utcnow(), timedelta(hours=hours))
    click.echo(f"purged {purged} idempotency key(s) unused for {hours} h or more")


@main.command("configure-sso")
@click.argument("slug")
@click.option("--issuer", required=True, help="The IdP's issuer (the ID tokens' iss).")
@click.option("--audience", required=True, help="This app's client id at the IdP (aud).")
@click.option("--jwks-file", type=click.Path(dir_okay=False), default=None,
              help="A JWK set of the IdP's public keys, stored in the database.")
@click.option("--jwks-url", default=None, help="The IdP's JWKS endpoint, fetched and cached.")
@_one_line_errors
def configure_sso(slug: str, issuer: str, audience: str, jwks_file: str | None,
                  jwks_url: str | None) -> None:
    """Store or replace the org's OIDC sign-in settings (issuer, audience, signing keys)."""
    jwks = validate_key_source(jwks_file, jwks_url)
    with _transaction() as session:
        org_id = orgs.org_by_slug(session, slug).id
        try:
            configure_provider(session, org_id, issuer=issuer, audience=audience, jwks=jwks,
                               jwks_url=jwks_url)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        audit.record_change(session, org_id, action="sso.configured", actor=CLI_ACTOR,
                            subject=f"sso:{issuer}"[:255], now=utcnow(),
                            detail=f"issuer {issuer}, audience {audience}")
    click.echo(f"SSO configured for {slug}: POST /sso/v1/orgs/{slug}/signin")


@main.command("billing-profile")
@click.argument("slug")
@click.option("--legal-name", required=True, help="Who invoices are addressed to.")
@click.option("--email", "billing_email", required=True, help="The billing e-mail.")
@click.option("--address", default="", help="Postal address; separate lines with \\n.")
@click.option("--tax-id", default="", help="VAT or other tax id.")
@_one_line_errors
def billing_profile(slug: str, legal_name: str, billing_email: str, address: str,
                    tax_id: str) -> None:
    """Set the org's billing profile, as its primary owner does in the console; checked by the
    admin API's rules, and audited."""
    from marshmallow import ValidationError

    from app.admin.schemas import BillingProfileSchema

    body = {"legal_name": legal_name, "billing_email": billing_email,
            "address": address.replace("\\n", "\n"), "tax_id": tax_id}
    try:
        details = BillingDetails(**BillingProfileSchema().load(body))
    except ValidationError as exc:
        raise click.ClickException("; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in exc.normalized_messages().items()
        )) from exc
    with _transaction() as session:
        org_id = orgs.org_by_slug(session, slug).id
        save_billing_profile(session, org_id, details, actor=CLI_ACTOR, now=utcnow())
    click.echo(f"billing profile of {slug}: {details.legal_name}")


@main.command("deliver-events")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
              help="Seconds between polls.")
@_one_line_errors
def deliver_events(once: bool, interval: float) -> None:
    """Send due usage events to the orgs' webhooks (and emit renewal reminders and refusal
    digests). Several deliverers may run at once; each event is sent at least once."""
    from app.delivery import drain, run_forever, sweep_notices

    settings = _settings()
    db = Database(_database_url(settings))
    try:
        if once:
            now = utcnow()
            notices = sweep_notices(db, now, settings.forecast_alert_days)
            report = drain(db, now)
            click.echo(f"{notices} notice(s) emitted; {report.delivered} delivered, "
                       f"{report.failed} failed, {report.not_sent} not sent")
        else:
            logging.basicConfig(level=logging.INFO,
                                format="%(asctime)s %(levelname)s %(name)s %(message)s")
            run_forever(db, interval, forecast_days=settings.forecast_alert_days)
    finally:
        db.dispose()


@main.command("issue-client")
@click.argument("slug")
@click.option("--name", default="scim", show_default=True, help="A label for the client.")
@_one_line_errors
def issue_client(slug: str, name: str) -> None:
    """Print a new OAuth client id and secret for the org (client credentials grant, for
    IdPs such as Entra ID). The secret is shown once; only its hash is kept."""
    settings = _settings()
    with _transaction() as session:
        org = orgs.org_by_slug(session, slug)
        client, secret = credentials.issue_client(session, org.id, name, utcnow(), CLI_ACTOR)
    click.echo(f"client_id:     {client.id}")
    click.echo(f"client_secret: {secret}")
    click.echo(f"token URL:     {settings.base_url}/oauth/token")


@main.command("revoke-client")
@click.argument("client_id")
@_one_line_errors
def revoke_client(client_id: str) -> None:
    """Revoke an OAuth client: it gets no new access tokens and those it holds stop working."""
    with _transaction() as session:
        credentials.revoke_client(session, client_id, utcnow(), CLI_ACTOR)
    click.echo(f"OAuth client {client_id} revoked")


@main.command("console-link")
@click.argument("slug")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--sub", default="owner@localhost", show_default=True, help="The admin's identity.")
@click.option("--ttl", type=click.IntRange(min=1, max=86_400),
              default=int(CONSOLE_LINK_TTL.total_seconds()),
              show_default=True, help="Seconds until the unused link expires.")
@_one_line_errors
def console_link(slug: str, role: str, sub: str, ttl: int) -> None:
    """Print a one-time sign-in link to the admin console (opens an 8-hour session)."""
    settings = _settings()
    with _transaction() as session:
        orgs.org_by_slug(session, slug)
    click.echo(issue_link(settings, slug=slug, role=role, sub=sub, ttl=timedelta(seconds=ttl),
                          now=utcnow()))


@main.command("dev-config")
@_one_line_errors
def dev_config() -> None:
    """Record development mode for this checkout in var/dev.json (what `make run` does
    first): a random signing key made once and kept, and SCIM_DATABASE_URL if set. Other
    commands run from anywhere then use it, unless SCIM_DEV or SCIM_SECRET_KEY is set."""
    path = write_dev_config(os.environ)
    click.echo(f"development configuration: {path}")


def _replace_demo_token(session: Session, org_id: str) -> tuple[str, int]:
    """Tokens are stored hashed, so the one an earlier run printed cannot be shown again:
    revoke it instead of leaving one more live secret behind per run."""
    now = utcnow()
    earlier = [token for token in credentials.list_tokens(session, org_id)
               if token.name == DEMO_TOKEN_NAME and token.revoked_at is None]
    for token in earlier:
        credentials.revoke_token(session, org_id, token.id, now, CLI_ACTOR)
    _, secret = credentials.issue_token(session, org_id, DEMO_TOKEN_NAME, now, CLI_ACTOR)
    return secret, len(earlier)


@main.command("demo")
@click.option("--slug", default="demo", show_default=True)
@click.option("--seats", type=click.IntRange(min=0), default=5, show_default=True)
@_one_line_errors
def demo(slug: str, seats: int) -> None:
    """Create the demo org if missing, then print the SCIM base URL, a fresh token (the
    previous demo token is revoked) and a one-time console link for the primary owner."""
    settings = _settings()
    with _transaction() as session:
        contract = orgs.NewContract(
            seats=seats, unit_price_minor=30_000, currency="USD", term_start=utcnow().date()
        )
        try:
            org_id = orgs.create_org(session, slug, contract, utcnow()).id
        except OrgAlreadyExists:
            org_id = orgs.org_by_slug(session, slug).id
        secret, revoked = _replace_demo_token(session, org_id)
    click.echo(f"SCIM base URL: {settings.scim_base_url}")
    click.echo(f"SCIM token:    {secret}")
    if revoked:
        click.echo(f"               new this run; {revoked} earlier {DEMO_TOKEN_NAME!r} token(s) "
                   "revoked (tokens are stored hashed and cannot be shown again)")
    click.echo(f'Try: curl -H "Authorization: Bearer {secret}" {settings.scim_base_url}/Users')
    link = issue_link(settings, slug=slug, role=OWNER, sub="owner@localhost",
                      ttl=CONSOLE_LINK_TTL, now=utcnow())
    click.echo(f"Console (one-time link, 15 minutes): {link}")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True)
@_one_line_errors
def serve(host: str, port: int, workers: int) -> None:
    """Serve the app with gunicorn."""
    from app.server import run_gunicorn

    settings = _settings()  # fails fast on bad configuration, before forking workers
    _database_url(settings)
    if settings.dev_config is not None:
        click.echo(f"scim-seats: development mode ({settings.dev_config}); never expose this "
                   "server", err=True)
    elif settings.dev_mode:
        click.echo("scim-seats: SCIM_DEV=1, development mode: a well-known signing key; "
                   "never expose this server", err=True)
    run_gunicorn(host=host, port=port, workers=workers)
