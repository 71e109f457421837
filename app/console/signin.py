"""Signing in with an admin token or a one-time link, and signing out. A link is redeemed by
a POST from its confirmation page, never by the GET that opens it, so a mail scanner or a
link preview that fetches the URL does not use it up."""
from __future__ import annotations

from typing import Any

import jwt
from flask import redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app.console import identity, links
from app.console.forms import LinkSignInForm, TokenSignInForm, refuse, submitted
from app.context import current_db, current_settings
from app.roles import ROLES
from app.signed_tokens import verify_admin_token
from seats import orgs
from seats.clock import utcnow
from seats.errors import UnknownOrg

HOME = "console.billing"


def _safe_next(target: str | None) -> str:
    """Only a console path: never an open redirect to another site."""
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return url_for(HOME)


def _token_claims(token: str) -> dict[str, Any]:
    """Claims of a valid admin token for a known org, else a message for the form."""
    try:
        claims = verify_admin_token(token, current_settings())
    except jwt.InvalidTokenError as exc:
        raise ValueError(f"This token is not valid: {exc}.") from exc
    if claims["role"] not in ROLES:
        raise ValueError(f"This token has an unknown role {claims['role']!r}.")
    try:
        with current_db().transaction(write=False) as session:
            orgs.org_by_slug(session, str(claims["org"]))
    except UnknownOrg as exc:
        raise ValueError("This token names no known organisation.") from exc
    return claims


def login() -> Response | tuple[str, int] | str:
    form = TokenSignInForm()
    if form.validate_on_submit():
        try:
            claims = _token_claims(submitted(form.token.data).strip())
        except ValueError as exc:
            refuse(form.token, str(exc))
        else:
            identity.sign_in(claims, utcnow(), bounded_by_exp=True)
            return redirect(_safe_next(request.args.get("next")), 303)
    status = 400 if form.errors else 200
    return render_template("console/login.html", form=form), status


def _org_id(session: Session, claims: dict[str, Any]) -> str:
    return orgs.org_by_slug(session, str(claims["org"])).id


def link() -> Response | tuple[str, int]:
    form = LinkSignInForm(token=request.args.get("token", ""))
    try:
        claims = links.read_link(form.token.data or "", current_settings())
        if form.validate_on_submit():
            with current_db().transaction() as session:
                links.redeem(session, _org_id(session, claims), claims, utcnow())
            identity.sign_in(claims, utcnow(), bounded_by_exp=False)
            return redirect(url_for(HOME), 303)
        with current_db().transaction(write=False) as session:
            links.check_unused(session, _org_id(session, claims), claims)
    except (links.LinkRefused, UnknownOrg) as exc:
        return render_template("console/link.html", refused=str(exc), form=form), 400
    return render_template("console/link.html", claims=claims, form=form), 200


def logout() -> Response:
    identity.sign_out()
    return redirect(url_for("console.login"), 303)


def home() -> Response:
    return redirect(url_for(HOME))
