"""The console's forms. CSRF is checked once for every console POST by the blueprint
(`blueprint._guard`), forms with fields or without, so these forms do not check it again."""
from __future__ import annotations

import re
from typing import TypeVar

from flask import abort, request
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from marshmallow.validate import Email
from wtforms import (
    Field,
    HiddenField,
    IntegerField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
)

from app.console.purchase import KEY_PATTERN
from seats.models import POOL_FULL_POLICIES
from seats.pool_full import MAX_AUTO_SEATS

T = TypeVar("T")


class ConsoleForm(FlaskForm):
    class Meta:
        csrf = False


class TokenSignInForm(ConsoleForm):
    token = PasswordField("Admin token", [InputRequired("Paste an admin token.")])


class LinkSignInForm(ConsoleForm):
    token = HiddenField(validators=[InputRequired()])


class SeatsForm(ConsoleForm):
    total = IntegerField("Total seats", [InputRequired("Enter the new total number of seats.")])
    seat_type = HiddenField(validators=[Optional(), Length(max=64)])
    """The type whose total is edited; empty in an org with one type (its default)."""


class UpgradeForm(ConsoleForm):
    quote_id = HiddenField(validators=[InputRequired(), Length(max=36)])
    idempotency_key = HiddenField(validators=[InputRequired(), Regexp(KEY_PATTERN)])


class NewTokenForm(ConsoleForm):
    name = StringField("Name", [InputRequired("Give the token a name."), Length(max=255)])


def _email(form: FlaskForm, field: Field) -> None:
    """The admin API's e-mail rule (marshmallow's), so both front ends accept the same."""
    try:
        Email()(field.data or "")
    except ValidationError as exc:
        raise StopValidation("Enter an e-mail address, like accounts@example.com.") from exc


class BillingProfileForm(ConsoleForm):
    legal_name = StringField("Legal name", [InputRequired("Enter the organisation's legal name."),
                                            Length(max=255)])
    billing_email = StringField("Billing e-mail", [InputRequired("Enter the billing e-mail."),
                                                   Length(max=254), _email])
    address = TextAreaField("Address", [Length(max=1000)])
    tax_id = StringField("Tax ID", [Length(max=64)])


POLICY_LABELS = {
    "refuse": "Refuse the user (the default)",
    "auto_top_up": "Buy one more seat automatically, up to a limit per term",
    "request": "Ask an administrator (SSO sign-ins queue a seat request)",
}


class SeatPolicyForm(ConsoleForm):
    """The domain checks the combination (auto_top_up needs a cap of at least 1)."""

    labels = POLICY_LABELS  # the select's options, in the template
    policy = StringField("When no seat is free",
                         [InputRequired(), AnyOf(POOL_FULL_POLICIES, "Choose one of the options.")])
    max_auto_seats = IntegerField("Seats bought automatically per term, at most",
                                  [Optional(), NumberRange(min=0, max=MAX_AUTO_SEATS)])


class MappingForm(ConsoleForm):
    group_id = HiddenField(validators=[InputRequired(), Length(max=36)])
    seat_type = HiddenField(validators=[Optional(), Length(max=64)])
    """Empty: the group's mapping is removed."""


class ReassignForm(ConsoleForm):
    to_user_id = HiddenField(validators=[InputRequired(), Length(max=36)])


def submitted(data: T | None) -> T:
    """A required field's data once `validate_on_submit()` has passed: InputRequired has
    refused a missing value, which the field's declared type (`str | None`) cannot say."""
    assert data is not None, "read a required field only after validate_on_submit()"
    return data


def refuse(field: Field, message: str) -> None:
    """Shows a refusal found after validation (by the domain) on its field, as a validator's
    would be. WTForms' stubs declare `errors` a read-only Sequence, so it is replaced, not
    appended to."""
    field.errors = [*field.errors, message]


def number_arg(name: str, *, minimum: int, maximum: int, message: str) -> int | None:
    """A whole number from the query string, None when absent or empty. ASCII digits only
    (`'²'.isdigit()` is true, yet int() refuses it) within the bounds, which keep it inside
    PostgreSQL's integer: anything else is a 400 page, never a 500."""
    raw = request.args.get(name, "")
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]{1,18}", raw) or not minimum <= int(raw) <= maximum:
        abort(400, message)
    return int(raw)
