"""Who may call the admin API: local HS256 tokens, an external issuer's RS256 (key file) or
ES256 (JWKS file) tokens, and the tokens each refuses, including `alg: none` and
algorithm confusion. Every refusal is a problem document, 401 or 403."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Flask

from app.cli import main
from app.factory import create_app
from app.settings import Settings
from seats.clock import utcnow
from tests.api.admin_support import local_claims, signed
from tests.conftest import OrgRef
from tests.support import assert_problem

pytestmark = pytest.mark.date_sensitive  # also run at each instant of tests/date_matrix.py


ISSUER = "https://idp.example.com/"
AUDIENCE = "scim-seats-admin-api"
PATH = "/admin/v1/scim-tokens"


def _get(app: Flask, token: str) -> Any:
    return app.test_client().get(PATH, headers={"Authorization": f"Bearer {token}"})


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _forged(alg: str, claims: dict[str, Any],
            sign: Callable[[bytes], bytes] = lambda _: b"") -> str:
    """A token put together by hand, as an attacker would: PyJWT refuses to make these."""
    payload = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in claims.items()}
    signing_input = (_b64(json.dumps({"alg": alg, "typ": "JWT"}).encode()) + b"."
                     + _b64(json.dumps(payload).encode()))
    return (signing_input + b"." + _b64(sign(signing_input))).decode()


def _external_claims(slug: str, **overrides: Any) -> dict[str, Any]:
    return local_claims(slug, **{"iss": ISSUER, "aud": AUDIENCE, **overrides})


@pytest.fixture
def secret(app: Flask) -> str:
    return app.extensions["settings"].secret_key


@pytest.fixture
def external_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """An app that also trusts the external issuer, configured with the given key source."""
    apps: list[Flask] = []

    def make(key_file: str | None = None, jwks_file: str | None = None) -> Flask:
        settings = Settings(database_url=database_url, admin_jwt_issuer=ISSUER,
                            admin_jwt_audience=AUDIENCE, admin_jwt_key_file=key_file,
                            admin_jwt_jwks_file=jwks_file)
        apps.append(create_app(settings))
        return apps[-1]

    yield make
    for app in apps:
        app.extensions["db"].dispose()


@pytest.fixture
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def rsa_app(external_app: Callable[..., Flask], rsa_key: rsa.RSAPrivateKey,
            tmp_path: Path) -> Flask:
    key_file = tmp_path / "issuer.pem"
    key_file.write_bytes(rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return external_app(key_file=str(key_file))


# --- local tokens (HS256 with the server's secret key) -------------------------------------

def test_local_token_is_accepted(app: Flask, org: OrgRef, secret: str) -> None:
    assert _get(app, signed(local_claims(org.slug, "viewer"), secret)).status_code == 200


def test_missing_or_malformed_authorization_is_401(app: Flask) -> None:
    client = app.test_client()
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "},
                    {"Authorization": "Bearer not-a-jwt"}):
        response = client.get(PATH, headers=headers)
        assert_problem(response, 401, "UNAUTHENTICATED")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("overrides", [
    pytest.param({"exp": utcnow() - timedelta(seconds=5)}, id="expired"),
    pytest.param({"aud": "someone-else"}, id="wrong-audience"),
    pytest.param({"iss": "someone-else"}, id="wrong-issuer"),
    pytest.param({"exp": None}, id="no-expiry"),
    pytest.param({"sub": None}, id="no-subject"),
])
def test_local_token_with_bad_claims_is_401(app: Flask, org: OrgRef, secret: str,
                                            overrides: dict[str, Any]) -> None:
    token = signed(local_claims(org.slug, **overrides), secret)
    assert_problem(_get(app, token), 401, "UNAUTHENTICATED")


def test_hand_made_tokens_are_well_formed(app: Flask, org: OrgRef, secret: str) -> None:
    """The control for the forgeries below: signed properly, a hand-made token passes."""
    token = _forged("HS256", local_claims(org.slug),
                    lambda data: hmac.new(secret.encode(), data, hashlib.sha256).digest())
    assert _get(app, token).status_code == 200


def test_alg_none_is_401(app: Flask, org: OrgRef) -> None:
    assert_problem(_get(app, _forged("none", local_claims(org.slug))), 401, "UNAUTHENTICATED")


def test_tampered_token_is_401(app: Flask, org: OrgRef, secret: str) -> None:
    header, _, signature = signed(local_claims(org.slug, "viewer"), secret).split(".")
    promoted = signed(local_claims(org.slug, "primary_owner"), secret).split(".")[1]
    assert_problem(_get(app, f"{header}.{promoted}.{signature}"), 401, "UNAUTHENTICATED")


def test_token_signed_with_another_secret_is_401(app: Flask, org: OrgRef) -> None:
    token = signed(local_claims(org.slug), "some-other-secret-of-enough-length-32b")
    assert_problem(_get(app, token), 401, "UNAUTHENTICATED")


def test_token_for_an_unknown_org_is_401(app: Flask, secret: str) -> None:
    assert_problem(_get(app, signed(local_claims("no-such-org"), secret)), 401, "UNAUTHENTICATED")


def test_unknown_role_is_403(app: Flask, org: OrgRef, secret: str) -> None:
    token = signed(local_claims(org.slug, "superuser"), secret)
    assert_problem(_get(app, token), 403, "FORBIDDEN")


def test_cli_admin_token_is_accepted(app: Flask, org: OrgRef, database_url: str, secret: str,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)
    monkeypatch.setenv("SCIM_SECRET_KEY", secret)
    monkeypatch.setenv("SCIM_DEV", "1")
    result = CliRunner().invoke(main, ["admin-token", org.slug, "--role", "admin",
                                       "--sub", "ops@example.com", "--ttl", "120"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["role"], claims["sub"]) == ("admin", "ops@example.com")
    assert claims["exp"] - claims["iat"] == 120
    assert _get(app, token).status_code == 200
    assert app.test_client().post(PATH, json={"name": "from-cli"},
                                  headers={"Authorization": f"Bearer {token}"}).status_code == 201


# --- external issuer: RS256 with a public key file ----------------------------------------

def test_rs256_token_from_the_issuer_is_accepted(rsa_app: Flask, org: OrgRef,
                                                 rsa_key: rsa.RSAPrivateKey) -> None:
    token = signed(_external_claims(org.slug), rsa_key, "RS256")
    assert _get(rsa_app, token).status_code == 200


@pytest.mark.parametrize("overrides", [
    pytest.param({"iss": "https://evil.example.com/"}, id="wrong-issuer"),
    pytest.param({"aud": "another-api"}, id="wrong-audience"),
    pytest.param({"exp": utcnow() - timedelta(seconds=5)}, id="expired"),
])
def test_rs256_token_with_bad_claims_is_401(rsa_app: Flask, org: OrgRef, rsa_key: rsa.RSAPrivateKey,
                                            overrides: dict[str, Any]) -> None:
    token = signed(_external_claims(org.slug, **overrides), rsa_key, "RS256")
    assert_problem(_get(rsa_app, token), 401, "UNAUTHENTICATED")


def test_rs256_token_signed_by_another_key_is_401(rsa_app: Flask, org: OrgRef) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = signed(_external_claims(org.slug), stranger, "RS256")
    assert_problem(_get(rsa_app, token), 401, "UNAUTHENTICATED")


def test_rs256_server_refuses_alg_none(rsa_app: Flask, org: OrgRef) -> None:
    token = _forged("none", _external_claims(org.slug))
    assert_problem(_get(rsa_app, token), 401, "UNAUTHENTICATED")


def test_algorithm_confusion_is_401(rsa_app: Flask, org: OrgRef, tmp_path: Path) -> None:
    """HS256 "signed" with the issuer's public key as the HMAC secret: a server that let the
    token choose its algorithm would verify it with the key it knows, and accept it."""
    public_pem = (tmp_path / "issuer.pem").read_bytes()

    def with_public_key_as_secret(data: bytes) -> bytes:
        return hmac.new(public_pem, data, hashlib.sha256).digest()

    for alg in ("HS256", "RS256"):
        token = _forged(alg, _external_claims(org.slug), with_public_key_as_secret)
        assert_problem(_get(rsa_app, token), 401, "UNAUTHENTICATED")


# --- external issuer: ES256 with a JWKS file ----------------------------------------------

@pytest.fixture
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def jwks_app(external_app: Callable[..., Flask], ec_key: ec.EllipticCurvePrivateKey,
             tmp_path: Path) -> Flask:
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key()))
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "ES256"}]}))
    return external_app(jwks_file=str(jwks_file))


def test_es256_token_from_the_jwks_is_accepted(jwks_app: Flask, org: OrgRef,
                                               ec_key: ec.EllipticCurvePrivateKey) -> None:
    token = signed(_external_claims(org.slug), ec_key, "ES256", kid="k1")
    assert _get(jwks_app, token).status_code == 200


@pytest.mark.parametrize("overrides", [
    pytest.param({"iss": "https://evil.example.com/"}, id="wrong-issuer"),
    pytest.param({"aud": "another-api"}, id="wrong-audience"),
])
def test_es256_token_with_bad_claims_is_401(jwks_app: Flask, org: OrgRef,
                                            ec_key: ec.EllipticCurvePrivateKey,
                                            overrides: dict[str, Any]) -> None:
    token = signed(_external_claims(org.slug, **overrides), ec_key, "ES256", kid="k1")
    assert_problem(_get(jwks_app, token), 401, "UNAUTHENTICATED")


def test_es256_token_signed_by_a_key_not_in_the_jwks_is_401(jwks_app: Flask, org: OrgRef) -> None:
    token = signed(_external_claims(org.slug), ec.generate_private_key(ec.SECP256R1()), "ES256",
                   kid="k1")
    assert_problem(_get(jwks_app, token), 401, "UNAUTHENTICATED")
