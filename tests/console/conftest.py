"""The console in a real browser: Debian's Chromium driven by Playwright, against the service
serving on a real port, on the suite's graph server, with the README's sample events in it.

Chromium comes from the system (`apt-get install chromium`), never from a Playwright
download. Without it the browser tests are skipped, unless
``PROFILEGRAPH_TEST_REQUIRE_BROWSER=1`` (CI sets it) makes that a failure.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from profilegraph.app import create_app
from profilegraph.domain.access import Role
from profilegraph.services.credentials import issue_token
from profilegraph.services.sign_in import issue_sign_in_ticket
from profilegraph.settings import Settings
from profilegraph.store.process import free_loopback_port
from tests.conftest import TestGraph

playwright_api = pytest.importorskip("playwright.sync_api")

REQUIRE_BROWSER_VARIABLE = "PROFILEGRAPH_TEST_REQUIRE_BROWSER"
CHROMIUM = os.environ.get("PROFILEGRAPH_TEST_CHROMIUM", "/usr/bin/chromium")
SAMPLE_EVENTS = Path(__file__).parents[2] / "examples" / "sample-events.ndjson"
# Chromium's own background calls go to Google's hosts, which a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Console:
    """The service on a real port, and how the tests reach it as its users do."""

    url: str
    settings: Settings
    graph: TestGraph

    def token(self, role: str, *scopes: str, subject: str | None = None) -> str:
        return issue_token(self.settings, Role(role), subject=subject or f"test-{role}", scopes=scopes)

    def sign_in_link(self, role: str, *scopes: str, subject: str | None = None) -> str:
        ticket = issue_sign_in_ticket(self.settings, Role(role), subject=subject or f"agent-{role}", scopes=scopes)
        return f"{self.url}/console/#sign-in={ticket}"

    def graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        role: str = "admin",
        scopes: tuple[str, ...] = ("pii:read",),
    ) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"authorization": f"Bearer {self.token(role, *scopes)}"},
            timeout=60,
        )
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body
        return dict(body["data"])

    def one_id_of(self, identifier_type: str, value: str) -> str:
        data = self.graphql(
            "query($t: IdentifierType!, $v: String!) { profileByIdentifier(type: $t, value: $v) { oneId } }",
            {"t": identifier_type, "v": value},
        )
        return str(data["profileByIdentifier"]["oneId"])

    def seed(self) -> None:
        """An empty graph holding the README's sample events, ingested through the API."""
        # Playwright's sync API keeps an event loop running on this thread, so the async clear runs on another.
        with ThreadPoolExecutor(max_workers=1) as worker:
            worker.submit(asyncio.run, self.graph.clear()).result()
        events = [json.loads(line) for line in SAMPLE_EVENTS.read_text(encoding="utf-8").splitlines() if line]
        data = self.graphql(
            "mutation($e: [JSON!]!) { ingestEvents(events: $e) { accepted rejected } }",
            {"e": events},
            role="ingest",
            scopes=(),
        )
        assert data["ingestEvents"] == {"accepted": len(events), "rejected": 0}


@pytest.fixture(scope="module")
def console_service(graph_server: TestGraph) -> Iterator[Console]:
    settings = graph_server.settings(api_key_cache_seconds=0)
    port = free_loopback_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="console-service", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive(), "the service stopped while starting"
        assert time.monotonic() < deadline, "the service did not start within two minutes"
        time.sleep(0.1)
    try:
        yield Console(f"http://127.0.0.1:{port}", settings, graph_server)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def console(console_service: Console) -> Console:
    console_service.seed()
    return console_service


# Module-scoped: Playwright's sync API keeps an event loop running on the main thread while
# it is open, which the asynchronous tests of other modules must not find there.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        message = f"no Chromium at {CHROMIUM}: apt-get install chromium"
        if os.environ.get(REQUIRE_BROWSER_VARIABLE) == "1":
            pytest.fail(message)
        pytest.skip(message)
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Visit:
    """A browser page on the console, with every request it made to another host."""

    page: Any
    foreign_requests: list[str]
    page_errors: list[str]


@pytest.fixture
def open_page(chromium: Any, console_service: Console) -> Iterator[Any]:
    contexts: list[Any] = []
    visits: list[Visit] = []

    def open_page(*, locale: str = "en-US", width: int = 1280, height: int = 900) -> Visit:
        context = chromium.new_context(locale=locale, viewport={"width": width, "height": height})
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        visit = Visit(page, [], [])
        page.on(
            "request",
            lambda request: (
                visit.foreign_requests.append(request.url)
                if not request.url.startswith(console_service.url) and not request.url.startswith("data:")
                else None
            ),
        )
        page.on("pageerror", lambda error: visit.page_errors.append(str(error)))
        visits.append(visit)
        return visit

    yield open_page
    for context in contexts:
        context.close()
    for visit in visits:
        assert visit.foreign_requests == [], "the console called another host"
        assert visit.page_errors == [], "the page raised a script error"
