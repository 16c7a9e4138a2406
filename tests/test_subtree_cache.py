"""The executor's completed-subtree cache answers exactly what the uncached path answers.

Two apps over the same database and offline catalog: one with the subtree cache (the default),
one with REELGRAPH_SUBTREE_CACHE_BYTES=0. Every document runs twice on the caching app (the second
run reuses stored subtrees) and is compared, field by field and in key order, with the other.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from strawberry.types.base import get_object_definition

from reelgraph.config import Settings
from reelgraph.schema.catalog.types import Movie
from reelgraph.schema.execution.executor import CATALOG_FIELDS
from tests.catalog_fixtures import MATRIX, SCIENCE_FICTION, Isolated, isolated_app, make_admin
from tests.helpers import GraphQLClient
from tests.library_fixtures import member, rate, set_kind

CARD = (
    "id tmdbId title originalTitle originalLanguage overview releaseDate year popularity"
    " voteAverage voteCount posterUrl backdropUrl viewerInteractions genres { tmdbId name }"
)
DOCUMENTS: list[tuple[str, str, dict[str, Any]]] = [
    ("trending", f"query {{ trending(first: 50) {{ nodes {{ {CARD} }} }} }}", {}),
    (
        "trending edges, second page, French",
        "query($after: String, $language: String) { trending(first: 20, after: $after, language: $language)"
        f" {{ edges {{ cursor node {{ {CARD} }} }} pageInfo {{ endCursor }} }} }}",
        {"language": "fr-FR"},
    ),
    (
        "discover",
        "query($filter: MovieFilter!) { discover(filter: $filter, first: 30)"
        f" {{ totalCount nodes {{ {CARD} }} }} }}",
        {"filter": {"genres": [SCIENCE_FICTION]}},
    ),
    (
        "movie with cast, genres, similar",
        "query($id: Int!) { movie(tmdbId: $id) { id title runtime tagline genres { id name movies(first: 3)"
        " { nodes { title } } } cast(first: 3) { character person { id name } }"
        f" similar(first: 5) {{ {CARD} }} }} }}",
        {"id": MATRIX},
    ),
    (
        "fragments and aliases",
        "query { trending(first: 15) { nodes { ...Card heading: title small: posterUrl(size: SMALL)"
        " big: posterUrl(size: ORIGINAL) } } }"
        " fragment Card on Movie { id tmdbId genres { ...G } kinds: viewerInteractions genres { tmdbId } }"
        " fragment G on Genre { id name __typename }",
        {},
    ),
    (
        "@include/@skip with variables, on",
        "query($full: Boolean!, $size: ImageSize) { trending(first: 15) { nodes { title"
        " overview @include(if: $full) year @skip(if: $full) posterUrl(size: $size)"
        " genres @include(if: $full) { name } } } }",
        {"full": True, "size": "LARGE"},
    ),
    (
        "@include/@skip with variables, off",
        "query($full: Boolean!, $size: ImageSize) { trending(first: 15) { nodes { title"
        " overview @include(if: $full) year @skip(if: $full) posterUrl(size: $size)"
        " genres @include(if: $full) { name } } } }",
        {"full": False, "size": "SMALL"},
    ),
    ("__typename", "query { trending(first: 10) { __typename nodes { __typename id title } } }", {}),
    (
        "search (a union)",
        'query { search(query: "matrix", first: 10) { nodes { __typename ... on Movie { id title'
        " genres { name } } ... on Person { name } } } }",
        {},
    ),
    (
        "errors inside a subtree",
        'query { trending(first: 10) { nodes { id title certification(region: "not a region")'
        " genres { name } } } }",
        {},
    ),
]


def diff(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Differences between two JSON values, key order included."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        if list(expected) != list(actual):
            return [f"{path}: keys {list(expected)} != {list(actual)}"]
        return [line for key in expected for line in diff(expected[key], actual[key], f"{path}.{key}")]
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(expected)} items != {len(actual)}"]
        return [
            line
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for line in diff(e, a, f"{path}[{i}]")
        ]
    return (
        []
        if expected == actual and type(expected) is type(actual)
        else [f"{path}: {expected!r} != {actual!r}"]
    )


@pytest.fixture(scope="module")
async def apps(settings: Settings) -> AsyncIterator[tuple[Isolated, Isolated]]:
    async with isolated_app(settings) as cached, isolated_app(settings, subtree_cache_bytes=0) as plain:
        yield cached, plain


def _cache_of(app: Isolated) -> Any:
    """The subtree cache of the app's schema (GraphQLView at /graphql)."""
    route = next(r for r in app.app.routes if getattr(r, "path", None) == "/graphql")
    return route.endpoint.schema.execution_context_class.subtree_cache  # type: ignore[attr-defined]


async def compare(
    apps: tuple[Isolated, Isolated], query: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    cached, plain = apps
    expected = await plain.gql(query, variables, token=token)
    first = await cached.gql(query, variables, token=token)
    second = await cached.gql(query, variables, token=token)
    for run in (first, second):
        problems = diff(expected, run)
        assert not problems, problems[:10]
        assert json.dumps(run) == json.dumps(expected)
    return expected


@pytest.mark.parametrize(("name", "query", "variables"), DOCUMENTS, ids=[d[0] for d in DOCUMENTS])
async def test_cached_and_uncached_answers_are_identical(
    apps: tuple[Isolated, Isolated], name: str, query: str, variables: dict[str, Any]
) -> None:
    body = await compare(apps, query, variables)
    assert body["_status"] == 200
    if name == "errors inside a subtree":
        assert body["errors"] and all(error["path"][:2] == ["trending", "nodes"] for error in body["errors"])
    else:
        assert "errors" not in body, body


async def test_the_second_run_reuses_stored_movies(apps: tuple[Isolated, Isolated]) -> None:
    cached, _ = apps
    cache = _cache_of(cached)
    await cached.gql(DOCUMENTS[0][1])
    hits = cache.hits
    body = await cached.gql(DOCUMENTS[0][1])
    assert "errors" not in body
    assert cache.hits - hits == 50 and len(cache) >= 50
    assert _cache_of(apps[1]).enabled is False


async def test_a_subtree_with_errors_is_not_stored(apps: tuple[Isolated, Isolated]) -> None:
    cached, _ = apps
    cache = _cache_of(cached)
    cache.clear()
    query = 'query { trending(first: 5) { nodes { title certification(region: "nope") } } }'
    for _ in range(2):
        body = await cached.gql(query)
        assert len(body["errors"]) == 5
    assert len(cache) == 0


async def test_viewer_fields_are_never_shared_between_viewers(apps: tuple[Isolated, Isolated]) -> None:
    cached, _ = apps
    gql: GraphQLClient = cached.gql
    ann, bob = await member(gql, "Ann"), await member(gql, "Bob")
    query = "query { trending(first: 5, includeHidden: true) { nodes { tmdbId title viewerInteractions viewerRating } } }"
    anonymous = await gql(query)
    top = anonymous["data"]["trending"]["nodes"][0]["tmdbId"]
    await set_kind(gql, ann, top, "LIKED")
    await set_kind(gql, bob, top, "WATCH_LATER")
    for _ in range(2):
        for token, kinds in ((ann.token, ["LIKED"]), (bob.token, ["WATCH_LATER"]), (None, [])):
            body = await compare(apps, query, {}, token=token)
            nodes = body["data"]["trending"]["nodes"]
            assert nodes[0]["tmdbId"] == top and nodes[0]["viewerInteractions"] == kinds
            assert all(node["viewerInteractions"] == [] for node in nodes[1:])
    # A bad token is not anonymous: the viewer fields refuse it, cached or not.
    refused = await compare(apps, query, {}, token="not-a-token")
    assert refused.get("errors"), refused


async def test_a_signed_in_viewer_gets_what_the_resolvers_answer(apps: tuple[Isolated, Isolated]) -> None:
    # Signed in, the caching executor answers the viewer fields from the request's library itself.
    cached, _ = apps
    gql: GraphQLClient = cached.gql
    cleo = await member(gql, "Cleo")
    listed = "query { trending(first: 6, includeHidden: true) { nodes { tmdbId } } }"
    top = [node["tmdbId"] for node in (await gql(listed))["data"]["trending"]["nodes"]]
    await set_kind(gql, cleo, top[0], "LIKED")
    await set_kind(gql, cleo, top[0], "FAVORITE")
    await set_kind(gql, cleo, top[2], "WATCH_LATER")
    await set_kind(gql, cleo, top[3], "SEEN")  # hidden from the lists
    await rate(gql, cleo, top[1], 4.5)
    await rate(gql, cleo, top[2], 4.0)
    state = (
        "query { trending(first: 6, includeHidden: true) { nodes { tmdbId title"
        " viewerInteractions viewerRating mine: viewerRating genres { name } } } }"
    )
    body = await compare(apps, state, {}, token=cleo.token)
    nodes = {node["tmdbId"]: node for node in body["data"]["trending"]["nodes"]}
    assert nodes[top[0]]["viewerInteractions"] == ["FAVORITE", "LIKED"]
    assert nodes[top[1]]["viewerRating"] == 4.5 and nodes[top[2]]["mine"] == 4.0
    for _, query, variables in DOCUMENTS:
        await compare(apps, query, variables, token=cleo.token)
    hidden = await compare(apps, DOCUMENTS[0][1], {}, token=cleo.token)
    assert top[3] not in {node["tmdbId"] for node in hidden["data"]["trending"]["nodes"]}

    # A mutation's payload reads the library it just changed; a later request sees it too.
    changed = await set_kind(gql, cleo, top[1], "LIKED")
    assert changed["movie"]["viewerInteractions"] == ["LIKED", "SEEN"]  # rating it marked it SEEN
    assert changed["movie"]["viewerRating"] == 4.5
    after = await compare(apps, state, {}, token=cleo.token)
    nodes = {node["tmdbId"]: node for node in after["data"]["trending"]["nodes"]}
    assert nodes[top[1]]["viewerInteractions"] == ["LIKED", "SEEN"] and nodes[top[1]]["viewerRating"] == 4.5


def test_only_catalog_fields_are_stored() -> None:
    # Anything a viewer, this server's users or later loads decide stays out.
    movie = CATALOG_FIELDS["Movie"]
    assert not {name for name in movie if name.startswith("viewer")}
    assert not movie & {"averageUserRating", "reviews", "similar", "recommendations", "imdbRating", "cast"}
    assert "movies" not in CATALOG_FIELDS["Genre"]


async def test_refresh_cache_frees_stored_subtrees(apps: tuple[Isolated, Isolated]) -> None:
    cached, _ = apps
    cache = _cache_of(cached)
    await cached.gql(DOCUMENTS[0][1])
    assert len(cache) > 0
    admin = await make_admin(cached.gql, cached.app)
    body = await cached.gql("mutation { refreshCache { ok } }", token=admin["accessToken"])
    assert body["data"]["refreshCache"]["ok"] is True
    assert len(cache) == 0


def test_plain_movie_fields_stay_basic_and_no_extension_wraps_every_field() -> None:
    from reelgraph.schema.root import schema

    definition = get_object_definition(Movie, strict=True)
    fields = {field.python_name: field for field in definition.fields}
    plain = ["tmdb_id", "title", "original_title", "original_language", "overview", "release_date"]
    plain += ["year", "popularity", "vote_average", "vote_count", "genres"]
    assert all(fields[name].is_basic_field for name in plain)
    # A schema extension with resolve() would wrap every field of every response.
    assert not [ext for ext in schema.extensions if ext()._implements_resolve()]
