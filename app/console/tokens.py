"""SCIM bearer tokens: issued, listed and revoked with the seats.credentials use cases the
admin API uses. A new token's secret is shown once, in the response to the POST that made
it: only its hash is stored, so there is nothing to redirect to."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.console.forms import NewTokenForm, submitted
from app.context import current_db, current_settings
from app.roles import MANAGERS, require_role
from seats import credentials
from seats.clock import utcnow


def _tokens_page(form: NewTokenForm, status: int = 200, created: tuple[str, str] | None = None,
                 ) -> tuple[str, int]:
    with current_db().transaction(write=False) as session:
        tokens = credentials.list_tokens(session, g.org_id)
    return render_template("console/tokens.html", tokens=tokens, form=form, created=created,
                           scim_base_url=current_settings().scim_base_url), status


def tokens() -> tuple[str, int]:
    return _tokens_page(NewTokenForm())


@require_role(*MANAGERS)
def create_token() -> tuple[str, int]:
    form = NewTokenForm()
    if not form.validate_on_submit():
        return _tokens_page(form, 400)
    name = submitted(form.name.data).strip()
    with current_db().transaction() as session:
        _, secret = credentials.issue_token(session, g.org_id, name, utcnow(), g.actor)
    return _tokens_page(NewTokenForm(formdata=None), 201, created=(name, secret))


@require_role(*MANAGERS)
def revoke_token(token_id: str) -> Response:
    with current_db().transaction() as session:
        found = credentials.revoke_token(session, g.org_id, token_id, utcnow(), g.actor)
    if not found:
        abort(404, "This organisation has no such SCIM token.")
    flash("The token was revoked; SCIM requests with it are refused from now on.", "success")
    return redirect(url_for("console.tokens"), 303)
