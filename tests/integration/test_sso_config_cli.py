"""`scim-seats configure-sso` against a real database: a usable key source is stored; anything
that could never verify a token is refused with one clear line and stores nothing."""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm

from app.db import Database
from seats.models import SsoConfig
from tests.conftest import OrgRef
from tests.integration.conftest import Run

ISSUER = "https://idp.example.com/"
AUDIENCE = "scim-seats-client"





def _rsa_jwk(*, private: bool = False) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAAlgorithm.to_jwk(key if private else key.public_key(), as_dict=True)
    return {**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}


def _write(tmp_path: Path, content: str) -> str:
    path = tmp_path / f"jwks-{uuid.uuid4().hex[:8]}.json"
    path.write_text(content)
    return str(path)


def _stored(database: Database, org_id: str) -> SsoConfig | None:
    with database.transaction(write=False) as session:
        return session.get(SsoConfig, org_id)


def _configure(run: Run, slug: str, *source: str) -> Result:
    return run("configure-sso", slug, "--issuer", ISSUER, "--audience", AUDIENCE, *source)


def _assert_one_line_error(result: Result, fragment: str) -> None:
    assert result.exit_code == 1, result.output
    line = result.output.strip()
    assert "\n" not in line and line.startswith("Error: ")
    assert fragment in line


def test_a_jwks_file_is_stored_and_a_jwks_url_replaces_it(
    run: Run, org: OrgRef, database: Database, tmp_path: Path
) -> None:
    jwks = {"keys": [_rsa_jwk()]}

    stored = _configure(run, org.slug, "--jwks-file", _write(tmp_path, json.dumps(jwks)))

    assert stored.exit_code == 0, stored.output
    assert stored.output.strip() == f"SSO configured for {org.slug}: POST /sso/v1/orgs/{org.slug}/signin"
    config = _stored(database, org.id)
    assert config is not None
    assert (config.issuer, config.audience, config.jwks, config.jwks_url) == (ISSUER, AUDIENCE, jwks, None)

    replaced = _configure(run, org.slug, "--jwks-url", "https://idp.example.com/keys")

    assert replaced.exit_code == 0, replaced.output
    config = _stored(database, org.id)
    assert config is not None
    assert (config.jwks, config.jwks_url) == (None, "https://idp.example.com/keys")


BAD_FILES: dict[str, tuple[Callable[[], str], str]] = {
    "not_json": (lambda: "{not json", "is not a readable JSON file"),
    "not_a_set": (lambda: json.dumps([_rsa_jwk()]), "is not a JWK set"),
    "no_keys": (lambda: json.dumps({"keys": []}), "holds no usable public key"),
    "unusable_key": (lambda: json.dumps({"keys": [{"kty": "RSA", "n": "x"}]}),
                     "holds no usable public key"),
    "private_key": (lambda: json.dumps({"keys": [_rsa_jwk(private=True)]}), "private or symmetric"),
    "symmetric_key": (lambda: json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}),
                      "private or symmetric"),
    "no_allowed_algorithm": (
        lambda: json.dumps({"keys": [OKPAlgorithm.to_jwk(
            ed25519.Ed25519PrivateKey.generate().public_key(), as_dict=True)]}),
        "has no key for RS256",
    ),
}


@pytest.mark.parametrize("bad", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_jwks_file_is_one_clear_line_and_stores_nothing(
    bad: tuple[Callable[[], str], str], run: Run, org: OrgRef, database: Database, tmp_path: Path
) -> None:
    content, fragment = bad

    _assert_one_line_error(_configure(run, org.slug, "--jwks-file", _write(tmp_path, content())),
                           fragment)
    assert _stored(database, org.id) is None


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ((), "give exactly one of --jwks-file or --jwks-url"),
        (("--jwks-url", "https://a.example/keys", "--jwks-file", "JWKS"),
         "give exactly one of --jwks-file or --jwks-url"),
        (("--jwks-url", "file:///etc/passwd"), "must be http(s)"),
    ],
    ids=["no_source", "two_sources", "not_http"],
)
def test_a_bad_key_source_is_one_clear_line(
    source: tuple[str, ...], fragment: str, run: Run, org: OrgRef, database: Database,
    tmp_path: Path,
) -> None:
    jwks_file = _write(tmp_path, json.dumps({"keys": [_rsa_jwk()]}))
    args = tuple(jwks_file if arg == "JWKS" else arg for arg in source)

    _assert_one_line_error(_configure(run, org.slug, *args), fragment)
    assert _stored(database, org.id) is None


def test_a_missing_jwks_file_is_one_clear_line(run: Run, org: OrgRef, tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.json")

    _assert_one_line_error(_configure(run, org.slug, "--jwks-file", missing),
                           f"{missing} is not a readable JSON file")


def test_an_unknown_org_is_one_clear_line(run: Run, tmp_path: Path) -> None:
    jwks_file = _write(tmp_path, json.dumps({"keys": [_rsa_jwk()]}))

    _assert_one_line_error(_configure(run, "nope-org", "--jwks-file", jwks_file),
                           "no organisation with slug 'nope-org'")


def test_two_orgs_cannot_trust_the_same_issuer_and_audience(
    run: Run, make_org: Callable[..., OrgRef], database: Database, tmp_path: Path
) -> None:
    """Else one ID token would open a seat in both orgs."""
    first, second = make_org(), make_org()
    jwks = _write(tmp_path, json.dumps({"keys": [_rsa_jwk()]}))
    audience = f"client-{first.slug}"
    common = ("--issuer", ISSUER, "--audience", audience, "--jwks-file", jwks)
    assert run("configure-sso", first.slug, *common).exit_code == 0
    refused = run("configure-sso", second.slug, *common)
    _assert_one_line_error(refused, "another organisation already trusts this issuer and audience")
    assert _stored(database, second.id) is None
