"""Which identity provider an org trusts for SSO sign-in: the issuer, the audience (the
client id registered at the IdP) and where its signing keys come from. Configuration only;
verifying ID tokens is the web front end's job and matching them to users is scim.signin's."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from seats.models import Org, SsoConfig


def provider_by_slug(session: Session, slug: str) -> SsoConfig | None:
    """The org's SSO settings; None both for an unknown org and an org without SSO, so the
    caller cannot tell which slugs exist."""
    return session.scalar(
        select(SsoConfig).join(Org, Org.id == SsoConfig.org_id).where(Org.slug == slug)
    )


def configure_provider(
    session: Session,
    org_id: str,
    *,
    issuer: str,
    audience: str,
    jwks: dict[str, Any] | None,
    jwks_url: str | None,
) -> None:
    """Creates or replaces the settings; the keys come from exactly one source."""
    if (jwks is None) == (jwks_url is None):
        raise ValueError("give either a JWK set or a JWKS URL")
    shared = session.scalar(select(SsoConfig.org_id).where(
        SsoConfig.issuer == issuer, SsoConfig.audience == audience, SsoConfig.org_id != org_id))
    if shared is not None:
        # One ID token would then open a seat in both orgs: the audience (the client id at
        # the IdP) is what ties a token to one organisation.
        raise ValueError("another organisation already trusts this issuer and audience; "
                         "register a separate client (audience) at the IdP for each one")
    config = session.get(SsoConfig, org_id)
    if config is None:
        config = SsoConfig(org_id=org_id)
        session.add(config)
    config.issuer = issuer
    config.audience = audience
    config.jwks = jwks
    config.jwks_url = jwks_url
    session.flush()
