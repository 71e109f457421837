"""The console's forms. CSRF is checked once for every console POST by the blueprint
(`blueprint._guard`), forms with fields or without, so these forms do not check it again."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, PasswordField, StringField
from wtforms.validators import InputRequired, Length, Regexp

from app.console.purchase import KEY_PATTERN


class ConsoleForm(FlaskForm):
    class Meta:
        csrf = False


class TokenSignInForm(ConsoleForm):
    token = PasswordField("Admin token", [InputRequired("Paste an admin token.")])


class LinkSignInForm(ConsoleForm):
    token = HiddenField(validators=[InputRequired()])


class SeatsForm(ConsoleForm):
    total = IntegerField("Total seats", [InputRequired("Enter the new total number of seats.")])


class UpgradeForm(ConsoleForm):
    quote_id = HiddenField(validators=[InputRequired(), Length(max=36)])
    idempotency_key = HiddenField(validators=[InputRequired(), Regexp(KEY_PATTERN)])


class NewTokenForm(ConsoleForm):
    name = StringField("Name", [InputRequired("Give the token a name."), Length(max=255)])


class ReassignForm(ConsoleForm):
    to_user_id = HiddenField(validators=[InputRequired(), Length(max=36)])
