"""The admin API's OpenAPI document, generated from the code at request time.

How to document a new admin route (a view in the table of app/admin/routes.py):
1. Put its marshmallow schemas in app/admin/schemas.py (class names end in `Schema` and are
   unique; the component is the class name without `Schema`). Use them in the view, too, so
   the document describes what the code does.
2. End the view's docstring with YAML after a `---` line, keyed by the lower-case HTTP method:

       def get_seats() -> Response:
           '''Why this view exists, in prose.
           ---
           get:
             summary: Seat counts of the org
             tags: [Seats]
             responses:
               200:
                 description: Total, assigned and free seats.
                 content:
                   application/json:
                     schema: SeatCountsSchema
               403: Forbidden
           '''

   A response may carry `links` to the operations its body feeds (by operationId, which
   is the view's name): they document the workflow and drive schemathesis's stateful
   tests. Name schemas by class name; query parameters may be a whole schema
   (`- in: query` + `schema: XQuerySchema`); path parameters and headers are listed by
   hand, with every constraint the view enforces (minLength, maxLength, pattern...). Problem
   responses are named by the components below (InvalidInput, Forbidden, NotFound; add
   one to PROBLEM_RESPONSES when a new status is needed). What every route can answer is
   added here (_GuaranteedResponses): 401, 403, 429 and 503 to every operation that does
   not say `security: []` (the blueprint's token check: no valid token, or a role this
   server does not know; its request limits; the database it reads the org from), 413 to every operation with a request body (MAX_CONTENT_LENGTH). A limit that
   is a deployment setting is named in the field's metadata (schemas.MAXIMUM_SETTING) and
   read from the running app.
3. Nothing to list here: every endpoint of the admin blueprint (the rows of routes.py) is
   found through the app's url_map. tests/api/test_admin_openapi.py fails for a route with no
   documented response.

The document itself is served without authentication, so that tools can fetch it before
anyone has a token; it is registered on the app, outside the blueprint's auth hook.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apispec import APISpec, BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask, Response, current_app
from flask.sansio.blueprints import BlueprintSetupState

from app.admin.blueprint import bp, json_response
from app.admin.problems import PROBLEM_MEDIA_TYPE
from app.admin.schemas import MAXIMUM_SETTING, ProblemSchema
from app.context import app_settings

BEARER_AUTH = "bearerAuth"
PROBLEM_RESPONSES = {
    "InvalidInput": "The request is malformed; `errors` names each bad field.",
    "Unauthenticated": "No valid admin token.",
    "Forbidden": "The token's role may not do this or is unknown here, or the org's term has "
                 "ended without renewal; `code` says which.",
    "NotFound": "No such resource in the caller's org.",
    "Conflict": "The state changed or the request is already running; `code` says which.",
    "Unprocessable": "The Idempotency-Key was used with a different request.",
    "PayloadTooLarge": "The request body is over the server's size limit.",
    "TooManyRequests": "The token's or the org's request limit is spent; retry after "
                       "`Retry-After` seconds.",
    "Unavailable": "The database cannot be reached; retry after `Retry-After` seconds.",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait (RFC 9110 §10.2.3).",
                               "schema": {"type": "integer", "minimum": 1}}}
PROBLEM_HEADERS = {
    "Unauthenticated": {"WWW-Authenticate": {
        "description": "The bearer challenge (RFC 6750 §3).", "schema": {"type": "string"}}},
    "TooManyRequests": RETRY_AFTER,
    "Unavailable": RETRY_AFTER,
}
AUTHENTICATED = {401: "Unauthenticated", 403: "Forbidden", 429: "TooManyRequests",
                 503: "Unavailable"}
WITH_BODY = {413: "PayloadTooLarge"}


class _GuaranteedResponses(BasePlugin):
    """Adds the responses that come from the blueprint and the app rather than the view, so
    no docstring has to repeat them and none can forget them; and names each operation after
    its view (unique, as Flask endpoints are), for links and generated clients."""

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         view: Callable[..., Any] | None = None, **kwargs: Any) -> None:
        for operation in (operations or {}).values():
            responses = operation.get("responses") if isinstance(operation, dict) else None
            if not responses:
                continue
            if view is not None:
                operation.setdefault("operationId", view.__name__)
            if operation.get("security") != []:
                _add_missing(responses, AUTHENTICATED)
            if "requestBody" in operation:
                _add_missing(responses, WITH_BODY)


def _add_missing(responses: dict[Any, Any], added: dict[int, str]) -> None:
    for status, component in added.items():
        if not {status, str(status)} & responses.keys():
            responses[status] = component


def _maximum_from_settings(app: Flask) -> Callable[..., dict[str, Any]]:
    """An apispec attribute function: `maximum` of a field bounded by a setting."""

    def maximum_from_settings(converter: Any, field: Any, **kwargs: Any) -> dict[str, Any]:
        setting = field.metadata.get(MAXIMUM_SETTING)
        if setting is None:
            return {}
        return {"maximum": getattr(app_settings(app), setting)}

    return maximum_from_settings


def _admin_views(app: Flask) -> list[Callable[..., Any]]:
    """Every view of the admin blueprint (nested ones too), in URL order for a stable diff."""
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)
    endpoints = dict.fromkeys(r.endpoint for r in rules if r.endpoint.startswith(f"{bp.name}."))
    return [app.view_functions[endpoint] for endpoint in endpoints]


def build_spec(app: Flask) -> dict[str, Any]:
    marshmallow_plugin = MarshmallowPlugin()
    spec = APISpec(
        title="scim-seats admin API",
        version="1",
        openapi_version="3.0.3",
        plugins=[FlaskPlugin(), marshmallow_plugin, _GuaranteedResponses()],
        info={"description": "Seats, SCIM tokens, directory and audit log of one organisation: "
                             "the one named in the caller's token."},
        security=[{BEARER_AUTH: []}],
    )
    assert marshmallow_plugin.converter is not None  # set by APISpec's plugin setup
    marshmallow_plugin.converter.add_attribute_function(_maximum_from_settings(app))
    spec.components.security_scheme(
        BEARER_AUTH, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    for name, description in PROBLEM_RESPONSES.items():
        spec.components.response(name, {
            "description": description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": ProblemSchema}},
            **({"headers": PROBLEM_HEADERS[name]} if name in PROBLEM_HEADERS else {}),
        })
    for view in [*_admin_views(app), openapi_document]:
        spec.path(view=view, app=app)
    return spec.to_dict()


def openapi_document() -> Response:
    """Built per request: it is fetched rarely and then always matches the running routes.
    ---
    get:
      summary: This OpenAPI document
      tags: [Meta]
      security: []
      responses:
        200:
          description: OpenAPI 3.0 document of the admin API.
          content:
            application/json:
              schema: {type: object}
    """
    return json_response(build_spec(current_app))


def serve_outside_the_auth_hook(state: BlueprintSetupState) -> None:
    """Recorded on the blueprint by routes.py, so the document comes with the admin API."""
    state.app.add_url_rule(
        f"{state.url_prefix}/openapi.json", endpoint="admin_openapi", view_func=openapi_document
    )
