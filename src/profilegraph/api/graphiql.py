"""GraphiQL served whole from the package, so the page works on a closed network.

Strawberry's page loads its scripts and styles from a public CDN. The same files,
byte for byte (their integrity hashes stay valid), ship in ``static/graphiql/`` with
their licences, and the page is rewritten to load them from ``ASSETS_PATH``.
"""

from __future__ import annotations

from pathlib import Path

from starlette.staticfiles import StaticFiles

__all__ = ["ASSETS_PATH", "graphiql_assets", "local_graphiql_html"]

ASSETS_PATH = "/graphiql-assets"
ASSETS_DIR = Path(__file__).parent / "static" / "graphiql"

# The CDN address of each file Strawberry's page names -> its file here.
_CDN_FILES = {
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.js": "graphiql.min.js",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.css": "graphiql.min.css",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/index.umd.js": "plugin-explorer.umd.js",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/style.css": "plugin-explorer.css",
    "https://unpkg.com/js-cookie@3.0.5/dist/js.cookie.min.js": "js.cookie.min.js",
    "https://unpkg.com/react@18.2.0/umd/react.production.min.js": "react.production.min.js",
    "https://unpkg.com/react-dom@18.2.0/umd/react-dom.production.min.js": "react-dom.production.min.js",
}


def local_graphiql_html(html: str) -> str:
    """Strawberry's GraphiQL page with every CDN address replaced by the packaged file."""
    for remote, local in _CDN_FILES.items():
        html = html.replace(remote, f"{ASSETS_PATH}/{local}")
    return html


def graphiql_assets() -> StaticFiles:
    return StaticFiles(directory=ASSETS_DIR)
