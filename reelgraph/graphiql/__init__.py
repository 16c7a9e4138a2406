"""The GraphiQL playground, served by reelgraph itself: no CDN, every asset pinned and vendored.

`static/vendor/` holds the browser bundles written by `scripts/vendor_graphiql.sh` (versions and
hashes in `static/vendor/VERSIONS.json`); `static/reelgraph-graphiql.js` starts the IDE.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/graphiql/static"

# Only this server's own origin: the page can neither load from nor send to anywhere else.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)


@cache
def _template() -> str:
    return (Path(__file__).parent / "index.html").read_text()


def graphiql_page(endpoint: str = "/graphql", root_path: str = "") -> str:
    """The HTML page. `endpoint` is the path the page was served from (it also takes the queries);
    `root_path` is the ASGI root path when the app is mounted under a prefix."""
    return (
        _template()
        .replace("{{static}}", html.escape(f"{root_path}{STATIC_PATH}", quote=True))
        .replace("{{endpoint}}", html.escape(endpoint, quote=True))
    )
