"""Path leniency for every route under /scim/v2, in one WSGI middleware: Microsoft's
published SCIM test collection sends trailing slashes and endpoints in any case."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any, cast

from flask import Flask
from flask.blueprints import BlueprintSetupState

PREFIX = "/scim/v2"


def canonical_path(path: str, endpoints: Mapping[str, str]) -> str:
    """`path` as the routes spell it, when it is under /scim/v2: no trailing slash, and the
    endpoint segment (`users`, `GROUPS`, `serviceproviderconfig`) in the spelling of
    `endpoints` (lower case → canonical). Microsoft's published SCIM test collection sends
    both; RFC 7644 §3 names the endpoints but nothing is lost by reading them leniently.
    Only the first segment is respelled: later ones are ids and names, which are exact."""
    if path != PREFIX and not path.startswith(f"{PREFIX}/"):
        return path
    rest = path.removeprefix(PREFIX).rstrip("/")
    if not rest:
        return PREFIX
    first, slash, tail = rest.removeprefix("/").partition("/")
    return f"{PREFIX}/{endpoints.get(first.lower(), first)}{slash}{tail}"


class CanonicalPaths:
    """WSGI middleware that routes every request under /scim/v2 by its canonical_path, so the
    leniency holds for every SCIM route (discovery's too) and its 404s and 405s, in one place.
    PATH_INFO is rewritten before Flask matches it; meta.location is built from the base URL
    and stays canonical."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._wsgi_app = app.wsgi_app

    @cached_property
    def _endpoints(self) -> dict[str, str]:
        """Read from the URL map at the first request, once every blueprint is registered."""
        return _endpoint_segments(rule.rule for rule in self._app.url_map.iter_rules())

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        environ["PATH_INFO"] = canonical_path(environ.get("PATH_INFO", ""), self._endpoints)
        return self._wsgi_app(environ, start_response)


def _endpoint_segments(rules: Iterable[str]) -> dict[str, str]:
    """The first segment of each route under /scim/v2 that is not a variable, by lower case."""
    segments = {}
    for rule in rules:
        first = rule.removeprefix(f"{PREFIX}/").partition("/")[0]
        if rule.startswith(f"{PREFIX}/") and first and "<" not in first:
            segments[first.lower()] = first
    return segments


def install_canonical_paths(state: BlueprintSetupState) -> None:
    """With the blueprint, so every app serving /scim/v2 reads its paths leniently."""
    app = cast(Flask, state.app)  # Blueprints register on Flask apps; the type says sansio App
    app.wsgi_app = CanonicalPaths(app)  # type: ignore[method-assign]
