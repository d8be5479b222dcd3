"""Calling the API as its users do: over HTTP, with a token of a role."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from profilegraph.domain.access import Role
from profilegraph.services.credentials import issue_token
from profilegraph.settings import Settings
from tests.conftest import TestGraph

__all__ = ["Api", "bearer"]


def bearer(data_dir: Path, role: str = "service", *scopes: str, subject: str | None = None) -> dict[str, str]:
    """The header of a token signed with the development secret of ``data_dir``."""
    token = issue_token(Settings(data_dir=data_dir), Role(role), subject=subject or f"test-{role}", scopes=scopes)
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Api:
    client: TestClient
    settings: Settings
    graph: TestGraph

    def token(self, role: str, *scopes: str, subject: str | None = None) -> str:
        return issue_token(self.settings, Role(role), subject=subject or f"test-{role}", scopes=scopes)

    def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        role: str = "service",
        scopes: tuple[str, ...] = (),
        subject: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = {"Authorization": f"Bearer {self.token(role, *scopes, subject=subject)}", **(headers or {})}
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        return self.client.post("/graphql", json=body, headers=sent)

    def data(self, query: str, variables: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
        """The answer's data, after checking it carries no error."""
        response = self.post(query, variables, **options)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return dict(body["data"])

    def errors(self, query: str, variables: dict[str, Any] | None = None, **options: Any) -> list[dict[str, Any]]:
        response = self.post(query, variables, **options)
        body = response.json()
        assert body.get("errors"), body
        return list(body["errors"])

    def ingest(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        payload = self.data(INGEST, {"events": events}, role="ingest")["ingestEvents"]
        assert payload["errors"] == [], payload["errors"]
        return dict(payload)

    def clear(self) -> None:
        asyncio.run(self.graph.clear())


INGEST = """
mutation Ingest($events: [JSON!]!) {
  ingestEvents(events: $events) {
    accepted duplicates rejected
    results { position eventId status errors { code field message } warnings { code field message } }
    errors { code field message }
  }
}
"""
