"""scim2-server's in-memory SCIM service as a WSGI callable for gunicorn (`scim2_server_app:app`).

Why this and not the package's own `scim2-server` command: that command serves through
wsgiref's threading server, while the comparison runs every server under gunicorn. The app is
built as that command builds it: RFC 7643's schemas and resource types (User, Group), the
package's default configuration (Bulk, filter, sort, etag), one static bearer token
(`PEER_TOKEN`), in-memory storage. The storage lives in the process, so it runs in one worker.
"""
import os

from scim2_models import ScimProvider
from scim2_server.memory import InMemoryStorage
from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
from scim2_server.utils import (
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)


def build() -> BearerTokenApplication:
    config = load_default_service_provider_config()
    config.authentication_schemes = [*(config.authentication_schemes or []), BEARER_TOKEN_SCHEME]
    provider = ScimProvider.from_discovery(
        load_default_schemas().values(), load_default_resource_types().values(), config=config
    )
    return BearerTokenApplication(InMemoryStorage(), provider, bearer_tokens=[os.environ["PEER_TOKEN"]])


app = build()
