"""SCIM discovery (RFC 7644 §4) and /Me, readable without a token so that an IdP can learn
the server's features before it is given one. A blueprint of its own: the SCIM blueprint
authenticates every request it routes, and these routes must not be among them."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, request
from werkzeug.exceptions import NotFound

from app.context import current_settings
from app.scim_api.paths import PREFIX
from app.scim_api.responses import scim_json
from app.settings import Settings
from scim import discovery
from scim.errors import ScimError

bp = Blueprint("scim_discovery", __name__, url_prefix=PREFIX)

README = Path(__file__).resolve().parents[2] / "README.md"
README_ROUTE = "/README.md"


def _base_url() -> str:
    settings: Settings = current_settings()
    return settings.scim_base_url


def bulk_limits(settings: Settings) -> discovery.BulkLimits:
    """Announced here and enforced by app.scim_api.bulk from this one function."""
    return discovery.BulkLimits(settings.bulk_max_operations, settings.bulk_max_payload_size)


def capabilities(settings: Settings) -> discovery.Capabilities:
    """From the running configuration, so the announced maxResults, page sizes and bulk
    limits are the ones the endpoints apply. documentationUri only while the README ships with the code (a
    wheel install has none), so the link never points at a 404."""
    documentation = f"{settings.scim_base_url}{README_ROUTE}" if README.is_file() else None
    return discovery.Capabilities(
        max_results=settings.max_results,
        documentation_uri=documentation,
        bulk=bulk_limits(settings),
        default_page_size=settings.default_count,
    )


@bp.get("/ServiceProviderConfig")
def service_provider_config() -> Response:
    settings: Settings = current_settings()
    return scim_json(
        discovery.service_provider_config(capabilities(settings), settings.scim_base_url)
    )


@bp.get("/ResourceTypes")
def resource_types() -> Response:
    discovery.refuse_filter(request.args.get("filter"))
    return scim_json(discovery.discovery_list(discovery.resource_type_documents(_base_url())))


@bp.get("/ResourceTypes/<name>")
def resource_type(name: str) -> Response:
    discovery.refuse_filter(request.args.get("filter"))
    found = discovery.find_resource_type(name)
    return scim_json(discovery.resource_type_document(found, _base_url()))


@bp.get("/Schemas")
def schemas() -> Response:
    discovery.refuse_filter(request.args.get("filter"))
    return scim_json(discovery.discovery_list(discovery.schema_documents(_base_url())))


@bp.get("/Schemas/<path:urn>")
def schema(urn: str) -> Response:
    discovery.refuse_filter(request.args.get("filter"))
    return scim_json(discovery.schema_document(discovery.find_schema(urn), _base_url()))


@bp.get(README_ROUTE)
def readme() -> Response:
    """The page documentationUri names; the README is this server's documentation."""
    if not README.is_file():
        raise NotFound("the documentation is not installed with this server")
    return Response(README.read_text(encoding="utf-8"), mimetype="text/markdown")


@bp.route("/Me", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def me() -> Response:
    """RFC 7644 §3.11: without /Me support, answer 501. Every SCIM credential here is an
    org's machine token, so there is no user for /Me to alias, with or without a token."""
    raise ScimError(501, "the bearer is a machine credential, not a user")
