"""GraphiQL works on a closed network: every file the page loads is served by the service."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from profilegraph.app import create_app
from tests.conftest import TestGraph

ASSET = re.compile(r'(?:src|href)="(/graphiql-assets/[^"]+)"(?:\s+integrity="([^"]+)")?')


@pytest.fixture
def client(graph_server: TestGraph) -> Iterator[TestClient]:
    with TestClient(create_app(graph_server.settings())) as test_client:
        yield test_client


def test_the_graphiql_page_loads_nothing_from_outside(client: TestClient) -> None:
    page = client.get("/graphql", headers={"Accept": "text/html"})

    assert page.status_code == 200
    assert re.findall(r'(?:src|href)="(https?://[^"]+)"', page.text) == []
    assets = ASSET.findall(page.text)
    assert len(assets) == 7
    for path, integrity in assets:
        served = client.get(path)
        assert served.status_code == 200, path
        if integrity:  # the browser checks the file against the page's hash
            algorithm, _, expected = integrity.partition("-")
            digest = base64.b64encode(hashlib.new(algorithm, served.content).digest()).decode()
            assert digest == expected, path


def test_the_licences_of_the_served_files_are_served_too(client: TestClient) -> None:
    licences = client.get("/graphiql-assets/THIRD_PARTY_LICENSES.txt")
    assert licences.status_code == 200
    for package in ("graphiql 3.8.3", "react 18.2.0", "react-dom 18.2.0", "js-cookie 3.0.5", "plugin-explorer 1.0.2"):
        assert package in licences.text
