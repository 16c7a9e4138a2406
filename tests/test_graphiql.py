"""GraphiQL is served by reelgraph itself from vendored, pinned assets: no CDN, nothing remote."""

from __future__ import annotations

import hashlib
import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from reelgraph.app import create_app
from reelgraph.graphiql import STATIC_DIR, STATIC_PATH
from tests.conftest import make_settings

VENDOR_DIR = STATIC_DIR / "vendor"


class _Assets(HTMLParser):
    """Collects every URL the page would load or link to."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []  # (tag, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append((tag, value))


async def _page(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/graphql", headers={"accept": "text/html"})


async def test_graphiql_page_references_only_local_assets(client: httpx.AsyncClient) -> None:
    response = await _page(client)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "unpkg.com" not in response.text and "jsdelivr" not in response.text

    parser = _Assets()
    parser.feed(response.text)
    loaded = [url for tag, url in parser.urls if not url.startswith("data:")]
    assert {tag for tag, _ in parser.urls} >= {"script", "link"}
    assert len(loaded) == 5, loaded  # the stylesheet, React, ReactDOM, GraphiQL, our start-up script
    for url in loaded:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{url} points at another host"
        assert parts.path.startswith(f"{STATIC_PATH}/"), url


async def test_graphiql_assets_are_served(client: httpx.AsyncClient) -> None:
    parser = _Assets()
    parser.feed((await _page(client)).text)
    expected_types = {".js": "javascript", ".css": "text/css"}
    for _, url in parser.urls:
        if url.startswith("data:"):
            continue
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert expected_types[Path(url).suffix] in asset.headers["content-type"], url
        assert len(asset.content) > 100, url
        assert asset.content == (STATIC_DIR / url.removeprefix(f"{STATIC_PATH}/")).read_bytes()


async def test_graphiql_page_forbids_other_origins(client: httpx.AsyncClient) -> None:
    policy = (await _page(client)).headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"


async def test_json_get_still_answers_graphql(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}


def test_vendored_files_match_their_recorded_hashes() -> None:
    versions = json.loads((VENDOR_DIR / "VERSIONS.json").read_text())
    assert versions["packages"]["graphiql"]["version"].startswith("3.")
    assert versions["packages"]["react"]["version"].startswith("18.")
    assert versions["packages"]["react-dom"]["version"] == versions["packages"]["react"]["version"]
    on_disk = {path.name for path in VENDOR_DIR.iterdir() if path.name != "VERSIONS.json"}
    assert on_disk == set(versions["files"])
    for name, digest in versions["files"].items():
        actual = hashlib.sha256((VENDOR_DIR / name).read_bytes()).hexdigest()
        assert digest == f"sha256-{actual}", f"{name} differs from what scripts/vendor_graphiql.sh wrote"


def test_no_graphiql_when_disabled(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, graphiql=False))
    paths = {getattr(route, "path", None) for route in app.routes}
    assert STATIC_PATH not in paths
    assert "/graphql" in paths
