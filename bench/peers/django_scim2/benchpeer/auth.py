"""Bearer-token authentication, which django-scim2 leaves to the project: it only asks
whether `request.user` is authenticated. One static token (`PEER_TOKEN`), as an IdP uses."""
import os
from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse


class Provisioner:
    """The identity provider behind the token: no database row is needed for it."""

    is_authenticated = True


class BearerTokenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.expected = "Bearer " + os.environ["PEER_TOKEN"]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("Authorization", "")
        request.user = Provisioner() if given == self.expected else AnonymousUser()  # type: ignore[assignment]
        return self.get_response(request)
