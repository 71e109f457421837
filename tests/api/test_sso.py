"""SSO sign-in (spec/seats.md, "SSO sign-in" and edge cases 18–21) through the Flask test
client, with real RSA/EC keys and ID tokens signed by PyJWT. Every refusal is checked for its
response AND for what it left behind: no user, no seat, at most one refusal audit entry."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import Database
from app.sso import validate_key_source
from seats.models import AuditEvent, Org
from seats.sso_providers import configure_provider
from tests.support import Scim, Snapshot, assert_seat_invariant, patch_body, snapshot

pytestmark = pytest.mark.date_sensitive  # also run at each instant of tests/date_matrix.py


SIGNIN_URL = "/sso/v1/orgs/{slug}/signin"


@cache
def _rsa_key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def _ec_key(curve_name: str) -> ec.EllipticCurvePrivateKey:
    curve = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1()}[curve_name]
    return ec.generate_private_key(curve)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(document: dict[str, Any]) -> str:
    return _b64(json.dumps(document).encode())


@dataclass
class Idp:
    """An OIDC identity provider of the test: its signing key and the tokens it issues."""

    key: Any = field(default_factory=lambda: _rsa_key("idp"))
    alg: str = "RS256"
    kid: str = "idp-key-1"
    issuer: str = "https://idp.example.com/"
    # Each org registers its own client at the IdP: one audience per org.
    audience: str = field(default_factory=lambda: f"scim-seats-{uuid.uuid4().hex[:8]}")
    declare_alg: bool = True

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.issuer, "aud": self.audience, "sub": f"sub-{uuid.uuid4().hex[:8]}",
            "iat": now, "exp": now + 300,
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def token(self, *, alg: str | None = None, kid: str | None = None, **claims: Any) -> str:
        return jwt.encode(
            self.claims(**claims), self.key, algorithm=alg or self.alg,
            headers={"kid": kid or self.kid},
        )

    def jwks(self) -> dict[str, Any]:
        public = self.key.public_key()
        algorithm = jwt.algorithms.RSAAlgorithm if isinstance(public, rsa.RSAPublicKey) else jwt.algorithms.ECAlgorithm
        jwk = algorithm.to_jwk(public, as_dict=True)
        jwk.update(kid=self.kid, use="sig")
        if self.declare_alg:
            jwk["alg"] = self.alg
        return {"keys": [jwk]}


@dataclass
class SsoOrg:
    """An org with SSO configured, its SCIM client (to set up users) and its IdP."""

    scim: Scim
    slug: str
    idp: Idp
    client: FlaskClient

    @property
    def org_id(self) -> str:
        return self.scim.org_id

    def sign_in(self, token: str, client: FlaskClient | None = None) -> Any:
        return (client or self.client).post(
            SIGNIN_URL.format(slug=self.slug), json={"id_token": token}
        )


@pytest.fixture
def make_sso(
    app: Flask, database: Database, make_scim: Callable[..., Scim], tmp_path: Any
) -> Callable[..., SsoOrg]:
    """A fresh org with `seats` seats whose SSO trusts `idp` (keys from a JWKS file, `idp`'s
    own set unless `jwks` is given, or from `jwks_url`)."""

    def make(seats: int = 5, idp: Idp | None = None, jwks_url: str | None = None,
             jwks: dict[str, Any] | None = None, **contract: Any) -> SsoOrg:
        scim = make_scim(seats, **contract)
        idp = idp or Idp()
        jwks_file = None
        if jwks_url is None:
            jwks_file = tmp_path / f"jwks-{uuid.uuid4().hex[:8]}.json"
            jwks_file.write_text(json.dumps(jwks or idp.jwks()))
        jwks = validate_key_source(jwks_file and str(jwks_file), jwks_url)
        with database.transaction() as session:
            slug = session.get_one(Org, scim.org_id).slug
            configure_provider(session, scim.org_id, issuer=idp.issuer, audience=idp.audience,
                               jwks=jwks, jwks_url=jwks_url)
        return SsoOrg(scim=scim, slug=slug, idp=idp, client=app.test_client())

    return make


def _audit_rows(database: Database, org_id: str) -> list[AuditEvent]:
    with database.transaction(write=False) as session:
        return list(session.scalars(
            select(AuditEvent).where(AuditEvent.org_id == org_id).order_by(AuditEvent.id)
        ))


def _assert_denied(response: Any, status: int, error: str, description: str | None = None) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == error
    if description is not None:
        assert description.lower() in body["error_description"].lower()
    return body["error_description"]


def _assert_unchanged(before: Snapshot, after: Snapshot, *, refusals: int = 0) -> None:
    assert after.users == before.users
    assert after.values == before.values
    assert (after.total, after.assigned) == (before.total, before.assigned)
    assert after.audit[: len(before.audit)] == before.audit
    assert [action for action, _ in after.audit[len(before.audit):]] == ["seat.refused"] * refusals


def _fill(sso: SsoOrg, seats: int) -> list[dict[str, Any]]:
    return [sso.scim.create(f"seated{i}@example.com") for i in range(seats)]


# --- the spec's edge cases ----------------------------------------------------------------


def test_edge_18_seated_user_signs_in_with_a_full_pool(make_sso: Callable[..., SsoOrg], database: Database) -> None:
    sso = make_sso(seats=2)
    alice = sso.scim.create("Alice@Example.com")
    _fill(sso, 1)
    before = snapshot(database, sso.org_id)
    assert before.assigned == before.total

    response = sso.sign_in(sso.idp.token(email="alice@example.COM"))

    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "status": "signed_in", "user_id": alice["id"], "userName": "Alice@Example.com", "seat": "held",
    }
    assert response.headers["Cache-Control"] == "no-store"
    _assert_unchanged(before, snapshot(database, sso.org_id))


def test_edge_19_unknown_user_with_a_free_seat_is_created_active_with_a_seat(make_sso: Callable[..., SsoOrg], database: Database) -> None:
    sso = make_sso(seats=2)
    _fill(sso, 1)

    response = sso.sign_in(sso.idp.token(email="Bob@Example.com", given_name="Bob",
                                         family_name="Builder", preferred_username="bob"))

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body == {"status": "signed_in", "user_id": body["user_id"], "userName": "Bob@Example.com",
                    "seat": "held", "created": True}
    user = sso.scim.get(f"/Users/{body['user_id']}").get_json()
    assert user["active"] is True
    assert user["emails"] == [{"value": "Bob@Example.com", "primary": True}]
    assert user["name"] == {"givenName": "Bob", "familyName": "Builder"}
    state = snapshot(database, sso.org_id)
    assert (state.total, state.assigned) == (2, 2)
    claimed = _audit_rows(database, sso.org_id)[-1]
    assert (claimed.action, claimed.actor) == ("seat.claimed", f"sso:{sso.idp.issuer}")
    assert_seat_invariant(database, sso.org_id)

    again = sso.sign_in(sso.idp.token(email="bob@example.com"))
    assert again.get_json() == {"status": "signed_in", "user_id": body["user_id"],
                                "userName": "Bob@Example.com", "seat": "held"}


def test_edge_20_unknown_user_with_a_full_pool_is_refused_and_nothing_is_created(make_sso: Callable[..., SsoOrg], database: Database) -> None:
    sso = make_sso(seats=3)
    _fill(sso, 3)
    before = snapshot(database, sso.org_id)

    response = sso.sign_in(sso.idp.token(email="late@example.com", given_name="Late"))

    assert response.status_code == 403
    assert response.get_json() == {
        "error": "access_denied",
        "error_description": "All 3 seats of this organisation are in use. "
                             "Ask the organisation's owner to add seats.",
    }
    _assert_unchanged(before, snapshot(database, sso.org_id), refusals=1)
    refusal = _audit_rows(database, sso.org_id)[-1]
    assert refusal.actor == f"sso:{sso.idp.issuer}"
    assert refusal.subject == "userName:late@example.com"
    assert (refusal.assigned_before, refusal.assigned_after) == (3, 3)
    assert_seat_invariant(database, sso.org_id)


def test_edge_21_scim_deactivated_user_is_refused_whatever_the_free_seats(make_sso: Callable[..., SsoOrg], database: Database) -> None:
    sso = make_sso(seats=10)
    dana = sso.scim.create("dana", emails=[{"value": "dana@example.com"}])
    deactivate = patch_body({"op": "replace", "path": "active", "value": False})
    assert sso.scim.patch(f"/Users/{dana['id']}", deactivate).status_code == 200
    before = snapshot(database, sso.org_id)
    assert before.total - before.assigned == 10

    for token in (sso.idp.token(preferred_username="DANA"), sso.idp.token(email="Dana@example.com")):
        _assert_denied(sso.sign_in(token), 403, "access_denied", "this account is deactivated")

    _assert_unchanged(before, snapshot(database, sso.org_id))
    assert sso.scim.get(f"/Users/{dana['id']}").get_json()["active"] is False


# --- matching --------------------------------------------------------------------------------


def test_a_user_is_matched_by_an_email_value_in_another_letter_case(make_sso: Callable[..., SsoOrg], database: Database) -> None:
    sso = make_sso(seats=1)
    carol = sso.scim.create("carol", emails=[{"value": "Carol.Smith@Example.COM", "type": "work"}])
    before = snapshot(database, sso.org_id)

    response = sso.sign_in(sso.idp.token(email="carol.smith@example.com"))

    assert response.get_json() == {"status": "signed_in", "user_id": carol["id"],
                                   "userName": "carol", "seat": "held"}
    _assert_unchanged(before, snapshot(database, sso.org_id))


def test_an_email_shared_by_several_users_is_refused_not_guessed(make_sso: Callable[..., SsoOrg], database: Database) -> None:
    sso = make_sso(seats=5)
    sso.scim.create("erin", emails=[{"value": "team@example.com"}])
    sso.scim.create("frank", emails=[{"value": "TEAM@example.com"}])
    before = snapshot(database, sso.org_id)

    _assert_denied(sso.sign_in(sso.idp.token(email="team@example.com")), 403, "access_denied",
                   "several accounts")
    _assert_unchanged(before, snapshot(database, sso.org_id))


def test_an_email_the_idp_marks_unverified_is_not_trusted(make_sso: Callable[..., SsoOrg], database: Database) -> None:
    sso = make_sso(seats=5)
    sso.scim.create("grace@example.com")
    before = snapshot(database, sso.org_id)

    token = sso.idp.token(email="grace@example.com", email_verified=False)
    _assert_denied(sso.sign_in(token), 401, "invalid_token", "verified email")
    _assert_unchanged(before, snapshot(database, sso.org_id))


def test_jit_with_an_expired_contract_is_refused(make_sso: Callable[..., SsoOrg], database: Database) -> None:
    sso = make_sso(seats=5, term_start=date(2024, 1, 1), auto_renew=False)
    before = snapshot(database, sso.org_id)

    description = _assert_denied(sso.sign_in(sso.idp.token(email="new@example.com")), 403,
                                 "access_denied")

    assert description == ("This organisation's subscription ended on 2025-01-01. "
                           "Ask the organisation's owner to renew it.")
    _assert_unchanged(before, snapshot(database, sso.org_id), refusals=1)


# --- token verification ---------------------------------------------------------------------


def _unsigned(idp: Idp) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": idp.kid}
    return f"{_segment(header)}.{_segment(idp.claims(email='intruder@example.com'))}."


def _hs256_signed_with_the_public_key(idp: Idp) -> str:
    """Algorithm confusion: the public key (which anyone has) used as an HMAC secret."""
    secret = idp.key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    header = {"alg": "HS256", "typ": "JWT", "kid": idp.kid}
    signing_input = f"{_segment(header)}.{_segment(idp.claims(email='intruder@example.com'))}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _tampered(idp: Idp) -> str:
    header, _, signature = idp.token(email="honest@example.com").split(".")
    return f"{header}.{_segment(idp.claims(email='intruder@example.com'))}.{signature}"


def _signed_by_another_key_with_the_same_kid(idp: Idp) -> str:
    impostor = Idp(key=_rsa_key("impostor"), kid=idp.kid)
    return impostor.token(email="intruder@example.com")


FORGERIES: dict[str, tuple[Callable[[Idp], str], str]] = {
    "expired": (lambda idp: idp.token(email="intruder@example.com", iat=int(time.time()) - 7200,
                                      exp=int(time.time()) - 3600), "expired"),
    "wrong_audience": (lambda idp: idp.token(email="intruder@example.com", aud="another-app"),
                       "audience"),
    "wrong_issuer": (lambda idp: idp.token(email="intruder@example.com",
                                           iss="https://evil.example.com/"), "issuer"),
    "alg_none": (_unsigned, "not allowed"),
    "hs256_with_public_key": (_hs256_signed_with_the_public_key, "not allowed"),
    "tampered_payload": (_tampered, "Signature verification failed"),
    "unknown_kid": (lambda idp: idp.token(email="intruder@example.com", kid="rotated-away"), "kid"),
    "another_key_same_kid": (_signed_by_another_key_with_the_same_kid,
                             "Signature verification failed"),
    "no_exp": (lambda idp: idp.token(email="intruder@example.com", exp=None), "exp"),
    "no_sub": (lambda idp: idp.token(email="intruder@example.com", sub=None), "sub"),
    "no_identity": (lambda idp: idp.token(), "preferred_username"),
    "unparseable": (lambda idp: "not-a-jwt", ""),
}


@pytest.mark.parametrize("forgery", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_bad_token_is_401_and_creates_nothing(
    forgery: tuple[Callable[[Idp], str], str], make_sso: Callable[..., SsoOrg], database: Database
) -> None:
    forge, description = forgery
    sso = make_sso(seats=5)
    before = snapshot(database, sso.org_id)

    _assert_denied(sso.sign_in(forge(sso.idp)), 401, "invalid_token", description)

    _assert_unchanged(before, snapshot(database, sso.org_id))


ALGORITHM_KEYS: dict[str, Callable[[], Any]] = {
    "RS256": lambda: _rsa_key("idp"),
    "RS384": lambda: _rsa_key("idp"),
    "RS512": lambda: _rsa_key("idp"),
    "PS256": lambda: _rsa_key("idp"),
    "ES256": lambda: _ec_key("P-256"),
    "ES384": lambda: _ec_key("P-384"),
}


@pytest.mark.parametrize("alg", ALGORITHM_KEYS)
def test_each_allowed_asymmetric_algorithm_signs_in(alg: str, make_sso: Callable[..., SsoOrg]) -> None:
    sso = make_sso(seats=1, idp=Idp(key=ALGORITHM_KEYS[alg](), alg=alg))

    response = sso.sign_in(sso.idp.token(email=f"{alg.lower()}@example.com"))

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] is True


def test_a_key_without_alg_verifies_only_its_default_algorithm(make_sso: Callable[..., SsoOrg]) -> None:
    """The key, not the token, decides the algorithm: an RSA key without `alg` is RS256."""
    sso = make_sso(seats=2, idp=Idp(declare_alg=False))

    assert sso.sign_in(sso.idp.token(email="rs256@example.com")).status_code == 200
    _assert_denied(sso.sign_in(sso.idp.token(email="rs384@example.com", alg="RS384")), 401,
                   "invalid_token", "alg value is not allowed")


def test_a_token_without_kid_is_accepted_only_from_a_single_key_set(make_sso: Callable[..., SsoOrg], database: Database) -> None:
    idp = Idp()
    same_key_other_client = replace(idp, audience=f"other-{idp.audience}")
    without_kid = lambda provider, email: jwt.encode(  # noqa: E731
        provider.claims(email=email), provider.key, algorithm="RS256")
    single = make_sso(seats=2, idp=idp)
    other_key = Idp(key=_ec_key("P-256"), alg="ES256", kid="idp-key-2").jwks()["keys"]
    several = make_sso(seats=2, idp=same_key_other_client,
                       jwks={"keys": idp.jwks()["keys"] + other_key})
    before = snapshot(database, several.org_id)

    assert single.sign_in(without_kid(idp, "solo@example.com")).status_code == 200
    _assert_denied(several.sign_in(without_kid(same_key_other_client, "solo@example.com")), 401,
                   "invalid_token", "names no key (kid)")
    _assert_unchanged(before, snapshot(database, several.org_id))
    assert several.sign_in(same_key_other_client.token(email="solo@example.com")).status_code == 200


# --- keys from a JWKS URL -------------------------------------------------------------------


@contextmanager
def _serving(document: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    """A JWKS endpoint on localhost; yields its URL and the paths it was asked for."""
    body = json.dumps(document).encode()
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/jwks-{uuid.uuid4().hex[:8]}", requests
    finally:
        server.shutdown()
        server.server_close()


def test_keys_from_a_jwks_url_are_fetched_once_and_cached(make_sso: Callable[..., SsoOrg]) -> None:
    idp = Idp()
    with _serving(idp.jwks()) as (url, requests):
        sso = make_sso(seats=2, idp=idp, jwks_url=url)
        first = sso.sign_in(idp.token(email="url1@example.com"))
        second = sso.sign_in(idp.token(email="url2@example.com"))

    assert (first.status_code, second.status_code) == (200, 200)
    assert len(requests) == 1


def test_a_token_without_kid_uses_the_single_key_of_a_jwks_url(make_sso: Callable[..., SsoOrg]) -> None:
    idp = Idp()
    with _serving(idp.jwks()) as (url, _):
        sso = make_sso(seats=1, idp=idp, jwks_url=url)
        token = jwt.encode(idp.claims(email="nokid@example.com"), idp.key, algorithm="RS256")
        assert sso.sign_in(token).status_code == 200


def test_an_unreachable_jwks_url_is_503_and_creates_nothing(make_sso: Callable[..., SsoOrg], database: Database) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sso = make_sso(seats=2, jwks_url=f"http://127.0.0.1:{port}/jwks")
    before = snapshot(database, sso.org_id)

    _assert_denied(sso.sign_in(sso.idp.token(email="u@example.com")), 503, "temporarily_unavailable")
    _assert_unchanged(before, snapshot(database, sso.org_id))


# --- the endpoint ----------------------------------------------------------------------------


def test_unknown_org_and_org_without_sso_are_the_same_404(
    app: Flask, make_org: Callable[..., Any]
) -> None:
    client = app.test_client()
    token = Idp().token(email="a@example.com")
    without_sso = make_org(seats=1)
    for slug in ("no-such-org", without_sso.slug):
        response = client.post(SIGNIN_URL.format(slug=slug), json={"id_token": token})
        assert response.get_json() == {
            "error": "not_found",
            "error_description": "no SSO sign-in is configured for this organisation",
        }
        assert response.status_code == 404


@pytest.mark.parametrize("body", [None, {}, {"id_token": ""}, {"id_token": 42}, ["x"]])
def test_a_request_without_an_id_token_is_400(body: Any, make_sso: Callable[..., SsoOrg]) -> None:
    sso = make_sso(seats=1)
    response = sso.client.post(SIGNIN_URL.format(slug=sso.slug), data=json.dumps(body),
                               content_type="application/json")
    _assert_denied(response, 400, "invalid_request", "id_token")


# --- races -------------------------------------------------------------------------------------


def _race(app: Flask, sso: SsoOrg, tokens: list[str]) -> list[Any]:
    """Each thread has its own test client and starts at the same barrier."""
    barrier = threading.Barrier(len(tokens))
    responses: list[Any] = [None] * len(tokens)

    def run(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        responses[index] = sso.sign_in(tokens[index], client)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return responses


def test_eight_concurrent_first_sign_ins_with_three_free_seats(app: Flask, make_sso: Callable[..., SsoOrg], database: Database) -> None:
    sso = make_sso(seats=4)
    _fill(sso, 1)
    tokens = [sso.idp.token(email=f"racer{i}@example.com") for i in range(8)]

    responses = _race(app, sso, tokens)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 3 + [403] * 5
    for response in responses:
        if response.status_code == 403:
            assert response.get_json()["error"] == "access_denied"
        else:
            assert response.get_json()["created"] is True
    state = snapshot(database, sso.org_id)
    assert (state.total, state.assigned, len(state.users)) == (4, 4, 4)
    assert [action for action, _ in state.audit].count("seat.refused") == 5
    assert_seat_invariant(database, sso.org_id)


def test_two_concurrent_first_sign_ins_of_one_user_make_one_user_and_one_seat(app: Flask, make_sso: Callable[..., SsoOrg], database: Database) -> None:
    sso = make_sso(seats=10)
    for round_ in range(3):
        email = f"twin{round_}@example.com"
        responses = _race(app, sso, [sso.idp.token(email=email), sso.idp.token(email=email.upper())])

        assert [response.status_code for response in responses] == [200, 200]
        bodies = [response.get_json() for response in responses]
        assert len({body["user_id"] for body in bodies}) == 1
        assert sum(body.get("created", False) for body in bodies) == 1

    state = snapshot(database, sso.org_id)
    assert (state.assigned, len(state.users)) == (3, 3)
    assert [action for action, _ in state.audit] == ["seat.claimed"] * 3
    assert_seat_invariant(database, sso.org_id)
