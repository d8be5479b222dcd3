"""Who gets in: tokens verified with configured keys, API keys kept as hashes, 401 for anyone else."""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.testclient import TestClient

from profilegraph.app import create_app
from profilegraph.domain.access import Role
from profilegraph.errors import ConfigurationError
from profilegraph.services.credentials import DEV_SECRET_FILE, create_api_key, issue_token, revoke_api_key
from profilegraph.services.sign_in import issue_sign_in_ticket
from profilegraph.settings import load_settings
from profilegraph.store.bolt import GraphStore
from tests.api.client import Api
from tests.conftest import TestGraph

HEALTH = {"query": "{ health { version } }"}


def _claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    return {
        "sub": "agent-7",
        "role": "service",
        "scope": "",
        "aud": "profilegraph",
        "exp": now + 600,
        "iat": now,
    } | overrides


def test_no_credential_is_401_except_for_the_health_probes(api: Api) -> None:
    response = api.client.post("/graphql", json=HEALTH)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert api.client.get("/graphql?query={__typename}").status_code == 401
    assert api.client.get("/metrics").status_code == 401
    assert api.client.get("/healthz").status_code == 200
    assert api.client.get("/readyz").status_code == 200


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Basic dXNlcjpwYXNz", "Bearer"),
        ("Bearer not-a-jwt", "not a JWT"),
        ("Bearer pg_abc", "malformed"),
        ("Bearer pg_0123456789ab_wrongsecret", "unknown or revoked"),
    ],
)
def test_a_malformed_or_unknown_credential_is_401_with_the_reason(api: Api, header: str, reason: str) -> None:
    response = api.client.post("/graphql", json=HEALTH, headers={"Authorization": header})
    assert response.status_code == 401
    assert reason in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        (_claims(exp=int(time.time()) - 3600), "expired"),
        (_claims(aud="another-service"), "audience"),
        (_claims(role="root"), "role"),
        ({k: v for k, v in _claims().items() if k != "exp"}, "exp"),
    ],
)
def test_a_token_that_fails_a_check_is_401(api: Api, claims: dict[str, object], reason: str) -> None:
    secret = (api.settings.data_dir / DEV_SECRET_FILE).read_text().strip()
    token = jwt.encode(claims, secret, algorithm="HS256")
    response = api.client.post("/graphql", json=HEALTH, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert reason in response.json()["errors"][0]["message"]


def test_a_token_signed_with_another_secret_is_refused(api: Api) -> None:
    token = jwt.encode(_claims(), "some-other-secret-that-is-long-enough-for-hs256", algorithm="HS256")
    response = api.client.post("/graphql", json=HEALTH, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "Signature" in response.json()["errors"][0]["message"]


def test_the_development_secret_is_private_to_its_owner(api: Api) -> None:
    mode = stat.S_IMODE(os.stat(api.settings.data_dir / DEV_SECRET_FILE).st_mode)
    assert mode == 0o600


async def test_api_keys_work_until_revoked_and_only_their_hash_is_kept(api: Api, session_store: GraphStore) -> None:
    created = await create_api_key(session_store, role=Role.INGEST, name="nightly-pos")
    rows = await session_store.query("MATCH (k:ApiKey) RETURN properties(k) AS k")
    stored = json.dumps(rows)
    assert created.key.split("_", 2)[2] not in stored  # the secret itself is nowhere in the graph

    mutation = {"query": "mutation { ingestEvents(events: []) { accepted errors { code } } }"}
    for headers in ({"X-API-Key": created.key}, {"Authorization": f"Bearer {created.key}"}):
        response = api.client.post("/graphql", json=mutation, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["data"]["ingestEvents"] == {"accepted": 0, "errors": []}
    # the key's role holds: an ingest key cannot read profiles
    forbidden = api.client.post(
        "/graphql", json={"query": '{ profile(oneId: "x") { oneId } }'}, headers={"X-API-Key": created.key}
    )
    assert forbidden.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    await revoke_api_key(session_store, "nightly-pos")
    refused = api.client.post("/graphql", json=mutation, headers={"X-API-Key": created.key})
    assert refused.status_code == 401
    assert "revoked" in refused.json()["errors"][0]["message"]
    tampered = created.key[:-2] + ("aa" if not created.key.endswith("aa") else "bb")
    assert api.client.post("/graphql", json=mutation, headers={"X-API-Key": tampered}).status_code == 401


@pytest.fixture
def rsa_keys(tmp_path: Path) -> Iterator[tuple[rsa.RSAPrivateKey, Path, Path]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "keys.pem"
    pem.write_bytes(
        b"".join(
            k.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            for k in (other, key)
        )
    )
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [jwk | {"kid": "k1", "use": "sig", "alg": "RS256"}]}))
    return key, pem, jwks


@pytest.mark.parametrize("source", ["pem", "jwks"])
def test_rs256_tokens_verify_with_configured_public_keys(
    graph_server: TestGraph, rsa_keys: tuple[rsa.RSAPrivateKey, Path, Path], source: str
) -> None:
    key, pem, jwks = rsa_keys
    settings = graph_server.settings(**({"jwt_public_keys": pem} if source == "pem" else {"jwt_jwks_file": jwks}))
    token = jwt.encode(_claims(), key, algorithm="RS256", headers={"kid": "k1"})
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(_claims(), stranger, algorithm="RS256", headers={"kid": "k1"})
    hs = issue_token(graph_server.settings(), Role.SERVICE, subject="x")  # the development secret is not in use here
    with TestClient(create_app(settings)) as client:
        assert client.post("/graphql", json=HEALTH, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert client.post("/graphql", json=HEALTH, headers={"Authorization": f"Bearer {forged}"}).status_code == 401
        assert client.post("/graphql", json=HEALTH, headers={"Authorization": f"Bearer {hs}"}).status_code == 401


def test_production_refuses_to_start_without_real_token_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROFILEGRAPH_ENVIRONMENT", "production")
    monkeypatch.setenv("PROFILEGRAPH_NEO4J_URI", "bolt://db.internal:7687")
    with pytest.raises(ConfigurationError, match="production needs real token keys"):
        load_settings()
    monkeypatch.setenv("PROFILEGRAPH_JWT_SECRET", "a-long-random-secret-from-the-vault-0123456789")
    settings = load_settings()
    assert settings.introspection_enabled is False


def test_console_sign_in_links_are_off_where_tokens_come_from_public_keys(
    graph_server: TestGraph, rsa_keys: tuple[rsa.RSAPrivateKey, Path, Path]
) -> None:
    _, pem, _ = rsa_keys
    settings = graph_server.settings(jwt_public_keys=pem)
    # A ticket signed with the development secret of the same data directory is no key here.
    ticket = issue_sign_in_ticket(graph_server.settings(), Role.SERVICE, subject="agent")
    with TestClient(create_app(settings)) as client:
        refused = client.post("/console/sign-in", json={"ticket": ticket})
        assert refused.status_code == 401
        assert "paste one instead" in refused.json()["error"]["message"]
        assert client.get("/console/").status_code == 200  # the page still serves, asking for a token
    with pytest.raises(ConfigurationError, match="public keys"):
        issue_sign_in_ticket(settings, Role.SERVICE, subject="agent")
