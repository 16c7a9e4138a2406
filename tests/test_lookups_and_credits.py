"""IMDb lookups (Query.movie(imdbId:)), external ids and person credits, through HTTP: offline (the
session app) and against the mock upstream with a key and every real-API quirk on."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from reelgraph.certifications import age_of
from reelgraph.config import Settings
from reelgraph.integrations.http_policy import PolicyConfig, UpstreamPolicy
from reelgraph.integrations.mock_upstream import RealApiQuirks, create_tmdb_app
from reelgraph.integrations.mock_upstream.release_dates import certification_of
from reelgraph.integrations.tmdb import TMDbClient
from tests.catalog_fixtures import MATRIX, MATRIX_IMDB, Switch, catalog, isolated_app
from tests.helpers import GraphQLClient, error_codes
from tests.library_fixtures import member, set_kind

KEANU = 6384
EASTWOOD = 190  # acts and directs: cast and crew credits
UNFORGIVEN = 33  # directed by and starring Clint Eastwood
TOM_HANKS = 31  # family films and others among his credits
TOY_STORY = 862
FIND_PATH = f"/3/find/{MATRIX_IMDB}"
MOCK_KEY = "lookup-test-key"
FIGHT_CLUB = 550  # the movie of the captured external ids
SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "tmdb-api-samples"
FULL_WIDTH_DIGITS = "tt\uff10\uff11\uff13\uff13\uff10\uff19\uff13"  # digits to \\d, not to IMDb

MOVIE_BY_IMDB = """
query($imdb: String, $tmdb: Int, $language: String) {
  movie(imdbId: $imdb, tmdbId: $tmdb, language: $language) {
    tmdbId title imdbId externalIds { imdb wikidata facebook instagram twitter }
  }
}
"""
PERSON = """
query($id: Int!) {
  person(tmdbId: $id) {
    name knownForDepartment externalIds { imdb wikidata facebook instagram twitter }
    movies(first: 5) { tmdbId }
  }
}
"""
CREDITS = """
query($id: Int!, $department: String, $first: Int, $after: String) {
  person(tmdbId: $id) {
    credits(department: $department, first: $first, after: $after) {
      totalCount
      edges { cursor node { movie { tmdbId title } character job department year } }
      nodes { movie { tmdbId } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}
"""


@pytest.fixture(params=["offline", "mock-upstream"])
async def api(
    request: pytest.FixtureRequest, gql: GraphQLClient, settings: Settings
) -> AsyncIterator[GraphQLClient]:
    """The offline app, or an app of its own that sends a key to the mock TMDb with the real API's
    quirks (variable page sizes, 422 bodies, unvoted movies...)."""
    if request.param == "offline":
        yield gql
        return
    tmdb = create_tmdb_app(catalog(), required_key=MOCK_KEY, quirks=RealApiQuirks.every())
    async with isolated_app(settings, tmdb=tmdb, tmdb_api_key=MOCK_KEY) as env:
        yield env.gql


async def credits(
    gql: GraphQLClient, person: int, token: str | None = None, **variables: Any
) -> dict[str, Any]:
    body = await gql(CREDITS, {"id": person, **variables}, token=token)
    assert "errors" not in body, body
    return body["data"]["person"]["credits"]  # type: ignore[no-any-return]


async def all_credits(
    gql: GraphQLClient, person: int, first: int, token: str | None = None, **variables: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every credit, page by page, and the pages' connections."""
    pages: list[dict[str, Any]] = []
    after = None
    while True:
        page = await credits(gql, person, token, first=first, after=after, **variables)
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert len(pages) < 50, "paging does not end"
    return [edge["node"] for page in pages for edge in page["edges"]], pages


def role(credit: dict[str, Any]) -> tuple[int, str | None, str | None]:
    return credit["movie"]["tmdbId"], credit["character"], credit["job"]


def catalog_roles(person: int) -> set[tuple[int, str | None, str | None]]:
    """The person's roles as the offline catalog holds them (what TMDb would list)."""
    data = catalog()
    roles: set[tuple[int, str | None, str | None]] = set()
    for movie in data.movies(data.person_movies(person)):
        roles |= {(movie.id, c.character or None, None) for c in movie.cast if c.person_id == person}
        roles |= {(movie.id, None, c.job) for c in movie.crew if c.person_id == person}
    return roles


# -- the reader ---------------------------------------------------------------------------------


async def test_imdb_lookup_is_cached_both_ways_and_skips_bad_ids(settings: Settings) -> None:
    tmdb = Switch(create_tmdb_app(catalog()))
    async with isolated_app(settings, tmdb=tmdb) as env:
        reader = env.app.state.services.reader
        assert await reader.movie_id_for_imdb(MATRIX_IMDB) == MATRIX
        assert await reader.movie_id_for_imdb(" TT0133093 ") == MATRIX
        assert await reader.movie_id_for_imdb("tt9999999") is None
        assert await reader.movie_id_for_imdb("tt9999999") is None
        assert await reader.movie_id_for_imdb("0133093") is None
        assert await reader.movie_id_for_imdb("tt01'; drop") is None
        finds = {path: n for path, n in tmdb.calls.items() if path.startswith("/3/find/")}
        assert finds == {FIND_PATH: 1, "/3/find/tt9999999": 1}


async def test_imdb_lookup_falls_back_to_the_mirror_when_tmdb_is_down(settings: Settings) -> None:
    tmdb = Switch(create_tmdb_app(catalog()))
    async with isolated_app(settings, tmdb=tmdb) as env:
        reader = env.app.state.services.reader
        await reader.movie(MATRIX, "en-US")  # mirrored with its IMDb id, as any view does
        await reader.mirror.flush()
        tmdb.down = True
        assert await reader.movie_id_for_imdb(MATRIX_IMDB) == MATRIX


async def test_client_find_asks_tmdb_find_with_the_imdb_source() -> None:
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"movie_results": [{"id": MATRIX}], "person_results": []})

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://tmdb/3")
    client = TMDbClient(http, UpstreamPolicy("tmdb", PolicyConfig(max_attempts=1)), api_key="k")
    assert (await client.find_by_imdb_id(" TT0133093"))["movie_results"] == [{"id": MATRIX}]
    assert requests[0].url.path == "/3/find/tt0133093"
    assert dict(requests[0].url.params) == {"external_source": "imdb_id", "api_key": "k"}
    with pytest.raises(ValueError):
        await client.find_by_imdb_id("tt0133093/../../movie/603")
    assert len(requests) == 1
    await http.aclose()


# -- Query.movie(imdbId:) -----------------------------------------------------------------------


async def test_movie_by_imdb_id_is_the_matrix(api: GraphQLClient) -> None:
    body = await api(MOVIE_BY_IMDB, {"imdb": MATRIX_IMDB})
    assert "errors" not in body, body
    movie = body["data"]["movie"]
    assert (movie["tmdbId"], movie["title"], movie["imdbId"]) == (MATRIX, "The Matrix", MATRIX_IMDB)
    by_tmdb = await api(MOVIE_BY_IMDB, {"tmdb": MATRIX})
    assert by_tmdb["data"]["movie"] == movie


async def test_movie_by_imdb_id_in_another_language(gql: GraphQLClient) -> None:
    body = await gql("""{ movie(imdbId: "tt0133093", language: "fr-FR") { tmdbId genres { name } } }""")
    assert body["data"]["movie"]["tmdbId"] == MATRIX
    assert "Science-Fiction" in {g["name"] for g in body["data"]["movie"]["genres"]}


async def test_unknown_imdb_id_is_null(api: GraphQLClient) -> None:
    body = await api(MOVIE_BY_IMDB, {"imdb": "tt9999999"})
    assert body["data"] == {"movie": None} and "errors" not in body


@pytest.mark.parametrize(
    "variables", [{}, {"imdb": MATRIX_IMDB, "tmdb": MATRIX}, {"imdb": None, "tmdb": None}]
)
async def test_movie_needs_exactly_one_id(gql: GraphQLClient, variables: dict[str, Any]) -> None:
    body = await gql(MOVIE_BY_IMDB, variables)
    assert body["data"] == {"movie": None}
    assert error_codes(body) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("imdb", ["0133093", "tt", "tt123", "nm0000206", "tt0133093x", "", FULL_WIDTH_DIGITS])
async def test_malformed_imdb_id_is_bad_user_input(gql: GraphQLClient, imdb: str) -> None:
    """Decided: a value that cannot be an IMDb title id is the client's mistake, said so (with the
    field), not a silent null; a well-formed id TMDb does not know is null."""
    body = await gql(MOVIE_BY_IMDB, {"imdb": imdb})
    assert body["data"] == {"movie": None}
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "imdbId"


# -- external ids -------------------------------------------------------------------------------


async def test_external_ids_of_the_matrix(api: GraphQLClient) -> None:
    body = await api(MOVIE_BY_IMDB, {"tmdb": MATRIX})
    assert body["data"]["movie"]["externalIds"] == {
        "imdb": MATRIX_IMDB,
        "wikidata": None,  # the offline data has none of these
        "facebook": None,
        "instagram": None,
        "twitter": None,
    }


class CapturedExternalIds:
    """The mock TMDb, with Fight Club's external ids as TMDb sent them (captured) in its details,
    plus an empty-string twitter id, which TMDb also sends for "none"."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner
        self.app = Starlette(routes=[Route("/{path:path}", self.forward)])

    async def forward(self, request: Request) -> JSONResponse:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.inner), base_url="http://in"
        ) as http:
            answer = await http.get(request.url.path, params=request.query_params)
        body = answer.json()
        if request.url.path == f"/3/movie/{FIGHT_CLUB}" and "external_ids" in body:
            captured = json.loads((SAMPLES / "movie-external-ids.json").read_text())
            body["external_ids"] = {**{k: v for k, v in captured.items() if k != "id"}, "twitter_id": ""}
        return JSONResponse(body, answer.status_code)


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="tmdb-api-samples not available")
async def test_external_ids_as_tmdb_sends_them(settings: Settings) -> None:
    async with isolated_app(settings, tmdb=CapturedExternalIds(create_tmdb_app(catalog())).app) as env:
        body = await env.gql(MOVIE_BY_IMDB, {"tmdb": FIGHT_CLUB})
    assert body["data"]["movie"]["externalIds"] == {
        "imdb": "tt0137523",
        "wikidata": "Q190050",
        "facebook": "FightClub",
        "instagram": None,
        "twitter": None,
    }


async def test_external_ids_from_the_mirror_when_tmdb_is_down(settings: Settings) -> None:
    tmdb = Switch(create_tmdb_app(catalog()))
    async with isolated_app(settings, tmdb=tmdb) as env:
        reader = env.app.state.services.reader
        await reader.movie(MATRIX, "en-US")
        await reader.mirror.flush()
        await reader.fetcher.clear()  # no stale copy: the mirror is all there is
        tmdb.down = True
        body = await env.gql(MOVIE_BY_IMDB, {"tmdb": MATRIX})
    assert "errors" not in body, body
    assert body["data"]["movie"]["externalIds"]["imdb"] == MATRIX_IMDB


async def test_external_ids_of_keanu_reeves_and_his_person_fields(api: GraphQLClient) -> None:
    body = await api(PERSON, {"id": KEANU})
    assert "errors" not in body, body
    person = body["data"]["person"]
    assert person["name"] == "Keanu Reeves"
    assert person["knownForDepartment"] == "Acting"
    # The TMDb people file gives IMDb ids offline; the data has no other ids of people.
    assert person["externalIds"] == {
        "imdb": "nm0000206",
        "wikidata": None,
        "facebook": None,
        "instagram": None,
        "twitter": None,
    }
    # Person.movies is unchanged: most popular first, The Matrix among his best known.
    assert MATRIX in [m["tmdbId"] for m in person["movies"]]


# -- Person.credits -----------------------------------------------------------------------------


async def test_keanu_credits_newest_first_with_characters(api: GraphQLClient) -> None:
    page = await credits(api, KEANU, first=100)
    nodes = [edge["node"] for edge in page["edges"]]
    assert page["totalCount"] == len(nodes) == len(catalog_roles(KEANU)) > 20
    years = [credit["year"] for credit in nodes]
    dated = [year for year in years if year is not None]
    assert dated == sorted(dated, reverse=True)
    assert years == dated + [None] * (len(years) - len(dated)), "undated credits come last"
    matrix = next(credit for credit in nodes if credit["movie"]["tmdbId"] == MATRIX)
    assert matrix == {
        "movie": {"tmdbId": MATRIX, "title": "The Matrix"},
        "character": 'Thomas "Neo" Anderson',  # TMDB 5000's character, as TMDb names it
        "job": None,
        "department": "Acting",
        "year": 1999,
    }
    assert {role(credit) for credit in nodes} == catalog_roles(KEANU)
    assert page["nodes"] == [{"movie": {"tmdbId": credit["movie"]["tmdbId"]}} for credit in nodes]


async def test_credits_by_department_any_case(api: GraphQLClient) -> None:
    everything = await credits(api, EASTWOOD, first=100)
    acting = await credits(api, EASTWOOD, department="acting", first=100)
    directing = await credits(api, EASTWOOD, department="DIRECTING", first=100)
    cast = [edge["node"] for edge in acting["edges"]]
    crew = [edge["node"] for edge in directing["edges"]]
    assert cast and crew
    assert all(c["department"] == "Acting" and c["job"] is None for c in cast)
    assert all(c["character"] != "" for c in cast)  # TMDb's "" for an unknown role is null here
    assert all(c["department"] == "Directing" and c["job"] == "Director" for c in crew)
    departments = {edge["node"]["department"] for edge in everything["edges"]}
    assert {"Acting", "Directing"} < departments  # he composes and produces too
    counts = [(await credits(api, EASTWOOD, department=d.lower()))["totalCount"] for d in departments]
    assert sum(counts) == everything["totalCount"]
    # Unforgiven twice: as Bill Munny, then (TMDb's order: cast before crew) as its director.
    unforgiven = [role(c["node"]) for c in everything["edges"] if c["node"]["movie"]["tmdbId"] == UNFORGIVEN]
    assert unforgiven == [(UNFORGIVEN, "Bill Munny", None), (UNFORGIVEN, None, "Director")]
    nothing = await credits(api, KEANU, department="Costume & Make-Up")
    assert nothing["totalCount"] == 0 and nothing["edges"] == [] and not nothing["pageInfo"]["hasNextPage"]


async def test_paging_through_every_credit_returns_each_once(api: GraphQLClient) -> None:
    one_page = [edge["node"] for edge in (await credits(api, EASTWOOD, first=100))["edges"]]
    paged, pages = await all_credits(api, EASTWOOD, first=7)
    assert len(pages) == -(-len(one_page) // 7)
    assert paged == one_page, "pages of 7 are the one big page, in order, each credit once"
    assert {page["totalCount"] for page in pages} == {len(one_page)}
    assert [page["pageInfo"]["hasPreviousPage"] for page in pages] == [False] + [True] * (len(pages) - 1)
    assert all(len(page["edges"]) == 7 for page in pages[:-1])


async def test_a_department_pages_on_its_own_cursors(gql: GraphQLClient) -> None:
    paged, _ = await all_credits(gql, EASTWOOD, first=7, department="Acting")
    assert (
        len(paged)
        == len({role(c) for c in paged})
        == (await credits(gql, EASTWOOD, department="Acting"))["totalCount"]
    )
    acting_cursor = (await credits(gql, EASTWOOD, department="Acting", first=3))["pageInfo"]["endCursor"]
    for variables in ({"department": "Directing"}, {}, {"department": "Acting", "id": KEANU}):
        body = await gql(CREDITS, {"id": EASTWOOD, "first": 3, "after": acting_cursor, **variables})
        assert error_codes(body) == ["BAD_USER_INPUT"], variables


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"after": "not-a-cursor"}, "after"),
        ({"first": 101}, "first"),
        ({"first": -1}, "first"),
        ({"department": "  "}, "department"),
        ({"department": "x" * 65}, "department"),
    ],
)
async def test_bad_credit_arguments_are_bad_user_input(
    gql: GraphQLClient, variables: dict[str, Any], field: str
) -> None:
    body = await gql(CREDITS, {"id": KEANU, **variables})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field


async def test_credits_leave_out_the_viewers_hidden_movies_like_person_movies(gql: GraphQLClient) -> None:
    viewer = await member(gql, name="Credits Viewer")
    before = await credits(gql, KEANU, viewer.token, first=100)
    await set_kind(gql, viewer, MATRIX, "NOT_INTERESTED")
    after = await credits(gql, KEANU, viewer.token, first=100)
    kept = [edge["node"]["movie"]["tmdbId"] for edge in after["edges"]]
    assert MATRIX not in kept
    assert after["totalCount"] == before["totalCount"] - 1
    assert kept == [
        e["node"]["movie"]["tmdbId"] for e in before["edges"] if e["node"]["movie"]["tmdbId"] != MATRIX
    ]
    movies = await gql(
        "query($id: Int!) { person(tmdbId: $id) { movies(first: 100) { tmdbId } all: movies(first: 100, includeHidden: true) { tmdbId } } }",
        {"id": KEANU},
        token=viewer.token,
    )
    person = movies["data"]["person"]
    assert MATRIX not in {m["tmdbId"] for m in person["movies"]}
    assert MATRIX in {m["tmdbId"] for m in person["all"]}
    # Anonymous readers and other viewers still see it.
    assert MATRIX in [e["node"]["movie"]["tmdbId"] for e in (await credits(gql, KEANU, first=100))["edges"]]


async def test_hiding_a_movie_between_pages_skips_and_repeats_nothing(gql: GraphQLClient) -> None:
    viewer = await member(gql, name="Mid-page Hider")
    everything = [role(e["node"]) for e in (await credits(gql, EASTWOOD, viewer.token, first=100))["edges"]]
    first = await credits(gql, EASTWOOD, viewer.token, first=7)
    served = [role(e["node"]) for e in first["edges"]]
    hidden_movie = served[0][0]  # already served: hiding it now must not shift the next page
    await set_kind(gql, viewer, hidden_movie, "SEEN")
    second = await credits(gql, EASTWOOD, viewer.token, first=7, after=first["pageInfo"]["endCursor"])
    expected = [r for r in everything[len(served) :] if r[0] != hidden_movie][:7]
    assert [role(e["node"]) for e in second["edges"]] == expected


async def test_a_minor_sees_only_the_credits_their_age_admits(gql: GraphQLClient) -> None:
    """The age gate applies to credits as to Person.movies (services.browse.hidden_filter)."""
    twelve = datetime.now(UTC).date() - timedelta(days=int(365.25 * 12) + 100)
    child = await member(gql, name="Young Viewer")
    profile = await gql(
        'mutation($b: Date) { updateProfile(input: {dateOfBirth: $b, region: "US"}) { errors { code } } }',
        {"b": twelve.isoformat()},
        token=child.token,
    )
    assert profile["data"]["updateProfile"]["errors"] == [], profile
    everyone = await credits(gql, TOM_HANKS, first=100)
    theirs = await credits(gql, TOM_HANKS, child.token, first=100)
    shown = {edge["node"]["movie"]["tmdbId"] for edge in theirs["edges"]}
    assert TOY_STORY in shown  # U in the offline certificates (India's, from the IMDb extract)
    assert theirs["totalCount"] == len(theirs["edges"]) < everyone["totalCount"]
    for movie_id in shown:
        movie = catalog().movie(movie_id)
        certified = certification_of(movie) if movie else None
        age = age_of(*certified) if certified else None
        assert age is not None and age <= 12, movie_id
