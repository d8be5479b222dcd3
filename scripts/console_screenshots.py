"""The console's screenshots in docs/console/, taken as a newcomer would see the console.

Starts `profilegraph serve` on a scratch data directory, imports the sample events, signs
in with printed links and photographs the main screens in Debian's Chromium.

    python scripts/console_screenshots.py [--out docs/console] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect, sync_playwright

from profilegraph.store.process import free_loopback_port

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample-events.ndjson"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]


def _profilegraph(env: dict[str, str], *args: str) -> str:
    command = [sys.executable, "-m", "profilegraph", *args]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout.strip()


def _look_up(page: Page, link: str, text: str) -> None:
    page.goto(link)
    page.fill("#lookup-query", text)
    page.click("#lookup-submit")
    expect(page.locator("#one-id")).to_be_visible()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "console")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as scratch:
        port = free_loopback_port()
        url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROFILEGRAPH_")}
        env["PROFILEGRAPH_DATA_DIR"] = str(Path(scratch) / "var")
        server = subprocess.Popen(
            [sys.executable, "-m", "profilegraph", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("profilegraph serve did not become ready")
                time.sleep(0.5)
            _profilegraph(env, "import", str(SAMPLE))

            def link(role: str, *scopes: str) -> str:
                extra = [arg for scope in scopes for arg in ("--scope", scope)]
                return _profilegraph(env, "console-link", "--role", role, *extra, "--url", url)

            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=options.chromium, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
                _look_up(page, link("service"), "138 0013 8001")
                page.screenshot(path=options.out / "profile-service.png", full_page=True)

                page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
                _look_up(page, link("admin"), "137 0000 1111")
                buttons = page.locator("#graph-nodes button")
                buttons.filter(has_text="phone:137").click()
                buttons.filter(has_text="member_id:").click()
                expect(page.locator("#explanation h3")).to_be_visible()
                page.wait_for_timeout(500)
                page.locator("#graph").screenshot(path=options.out / "graph-admin.png")

                page.click("a[data-route=values]")
                expect(page.locator("#clv-histogram")).to_be_visible()
                page.wait_for_timeout(500)
                page.screenshot(path=options.out / "value-map.png", full_page=True)

                page = browser.new_page(viewport={"width": 820, "height": 1180}, locale="zh-CN")
                _look_up(page, link("service"), "M1001")
                page.screenshot(path=options.out / "profile-tablet-zh.png")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=60)
    print(f"screenshots in {options.out}")


if __name__ == "__main__":
    main()
