"""Where and when the caller's org hears about its seat usage: the threshold for `seats.low`
and the webhook that receives every usage event.

PUT replaces `threshold_percent` and `webhook_url` (both required). `webhook_secret` is
write-only: absent keeps the stored one, a string of 16 to 255 characters replaces it, null
clears it. A webhook URL always needs a secret, since every delivery is signed; a URL whose
host is a literal IP address must be a public one (unless SCIM_WEBHOOK_ALLOW_PRIVATE=1),
while host names are checked at each delivery (app.delivery). GET says only whether a secret
is set. The schemas live here, not in schemas.py, because nothing else uses them; their class
names are unique, as the OpenAPI generator needs."""
from __future__ import annotations

import ipaddress
import re
import socket
from typing import Any
from urllib.parse import urlsplit

from flask import Response, g
from marshmallow import Schema, ValidationError, fields, validate

from app.admin.blueprint import json_body, json_response
from app.admin.problems import Problem
from app.admin.schemas import load
from app.context import current_db, current_settings
from app.delivery import IpAddress, is_public
from app.roles import MANAGERS, require_role
from seats import events
from seats.clock import utcnow
from seats.models import AlertSettings

INVALID = "INVALID_ALERT_SETTINGS"
MAX_URL_CHARS = 2048
URL_CHARACTERS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+"
"""RFC 3986 §2: the unreserved and reserved characters and percent-encodings, nothing else.
Control characters, spaces, `<>"{}|\\^` and raw Unicode (an IRI) would be sent on as
whatever the HTTP client makes of them."""


def _check_url(value: str) -> None:
    """Credentials belong in the secret: GET returns the URL, so it must hold none."""
    if len(value) > MAX_URL_CHARS or not re.fullmatch(URL_CHARACTERS, value):
        raise ValidationError(f"Must be a URL of at most {MAX_URL_CHARS} characters, in the "
                              "characters of RFC 3986 (percent-encode others; punycode hosts).")
    try:
        parts = urlsplit(value)
        hostname, _port = parts.hostname, parts.port  # .port raises on a bad port
    except ValueError as exc:
        raise ValidationError("Not a valid URL.") from exc
    if parts.scheme not in ("http", "https") or not hostname:
        raise ValidationError("Must be an http or https URL with a host.")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("Must not contain credentials; use webhook_secret.")
    address = _literal_address(hostname)
    if address is not None and not is_public(address) \
            and not current_settings().webhook_allow_private:
        raise ValidationError("Must not be a loopback, private, link-local, multicast or "
                              "otherwise non-public address.")


def _literal_address(hostname: str) -> IpAddress | None:
    """The address a host written as an IP address stands for, in any form a resolver reads
    (`127.0.0.1`, `::1`, and for IPv4 also `2130706433`, `0x7f000001`, `0177.1`); None for a
    host name, which app.delivery checks when it sends (names resolve differently later)."""
    try:
        return ipaddress.ip_address(hostname)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(hostname))
    except (OSError, ValueError):
        return None


class AlertSettingsUpdateSchema(Schema):
    threshold_percent = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=100),
        metadata={"description": "seats.low fires when assigned reaches this share of total."},
    )
    webhook_url = fields.String(
        required=True, allow_none=True, validate=_check_url,
        metadata={"description": "http(s) URL receiving signed event POSTs; null for none. No "
                                 "credentials; a literal IP address must be a public one "
                                 "unless the server allows private targets.",
                  "format": "uri", "maxLength": MAX_URL_CHARS,
                  "pattern": f"^https?://{URL_CHARACTERS}$"},
    )
    webhook_secret = fields.String(
        allow_none=True, load_only=True, validate=validate.Length(min=16, max=255),
        metadata={"description": "HMAC-SHA256 key for X-Scim-Seats-Signature. Write-only: "
                                 "absent keeps the stored one, null clears it."},
    )


class AlertSettingsSchema(Schema):
    threshold_percent = fields.Integer()
    webhook_url = fields.String(allow_none=True)
    webhook_secret_set = fields.Boolean(metadata={"description": "The secret itself is never returned."})


def _view(settings: AlertSettings | None) -> dict[str, Any]:
    view: dict[str, Any]
    if settings is None:
        view = {"threshold_percent": events.DEFAULT_THRESHOLD_PERCENT, "webhook_url": None,
                "webhook_secret_set": False}
    else:
        view = {"threshold_percent": settings.threshold_percent,
                "webhook_url": settings.webhook_url,
                "webhook_secret_set": settings.webhook_secret is not None}
    return AlertSettingsSchema().dump(view)


def get_alerts() -> Response:
    """Every role reads the settings; nobody reads the secret back.
    ---
    get:
      summary: The org's usage alert settings
      tags: [Alerts]
      responses:
        200:
          description: Threshold, webhook URL and whether a webhook secret is set.
          content:
            application/json:
              schema: AlertSettingsSchema
    """
    with current_db().transaction(write=False) as session:
        return json_response(_view(session.get(AlertSettings, g.org_id)))


@require_role(*MANAGERS)
def put_alerts() -> Response:
    """Validated in full before anything is written, so a refused request changes nothing.
    ---
    put:
      summary: Replace the org's usage alert settings
      tags: [Alerts]
      requestBody:
        required: true
        content:
          application/json:
            schema: AlertSettingsUpdateSchema
      responses:
        200:
          description: The settings as stored (without the secret).
          content:
            application/json:
              schema: AlertSettingsSchema
        400: InvalidInput
        403: Forbidden
    """
    wanted = load(AlertSettingsUpdateSchema(), json_body(), INVALID)
    with current_db().transaction() as session:
        settings = events.alert_settings_for_update(session, g.org_id)
        secret = wanted.get("webhook_secret", settings.webhook_secret)
        if wanted["webhook_url"] is not None and secret is None:
            message = "A webhook_url needs a webhook_secret to sign its deliveries."
            raise Problem(400, INVALID, message, errors={"webhook_secret": [message]})
        events.change_alert_settings(
            session, settings, threshold_percent=wanted["threshold_percent"],
            webhook_url=wanted["webhook_url"], webhook_secret=secret, actor=g.actor, now=utcnow())
        view = _view(settings)
    return json_response(view)
