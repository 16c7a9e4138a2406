"""The mock TMDb/OMDb upstream: response shapes, filters, auth, faults and call counting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from reelgraph.cli import MOCK_QUIRKS, build_parser
from reelgraph.integrations.mock_upstream import (
    FaultConfig,
    RealApiQuirks,
    create_mock_upstream_app,
    create_omdb_app,
    create_tmdb_app,
    reset_calls,
)
from reelgraph.integrations.mock_upstream.pages import PageLayout
from reelgraph.integrations.mock_upstream.quirks import TOGGLES_BY_NAME
from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.text import fold

THE_MATRIX = 603
NOT_FOUND = {
    "status_code": 34,
    "status_message": "The resource you requested could not be found.",
    "success": False,
}
INVALID_PAGE = {
    "status_code": 22,
    "status_message": "Invalid page: Pages start at 1 and max at 500.",
    "success": False,
}
INVALID_KEY = {
    "status_code": 7,
    "status_message": "Invalid API key: You must be granted a valid key.",
    "success": False,
}
LIST_ITEM_KEYS = {
    "adult",
    "backdrop_path",
    "genre_ids",
    "id",
    "original_language",
    "original_title",
    "overview",
    "popularity",
    "poster_path",
    "release_date",
    "title",
    "video",
    "vote_average",
    "vote_count",
}


@pytest.fixture(scope="module")
def catalog() -> OfflineCatalog:
    return OfflineCatalog.load()


@pytest.fixture(scope="module")
def app(catalog: OfflineCatalog) -> Starlette:
    return create_mock_upstream_app(catalog)


def client_for(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://upstream")


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as http:
        yield http


async def get_json(client: httpx.AsyncClient, path: str, params: Mapping[str, Any] | None = None) -> Any:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def discover(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """Every result of a discover query, walking all pages."""
    first = await get_json(client, "/3/discover/movie", {**params, "page": 1})
    results = list(first["results"])
    for page in range(2, first["total_pages"] + 1):
        results += (await get_json(client, "/3/discover/movie", {**params, "page": page}))["results"]
    assert len(results) == first["total_results"]
    return results


async def person_id(client: httpx.AsyncClient, name: str) -> int:
    found = await get_json(client, "/3/search/person", {"query": name})
    return next(p["id"] for p in found["results"] if p["name"] == name)


# ------------------------------------------------------------------------------------ movie details


async def test_movie_details_with_every_append(client: httpx.AsyncClient) -> None:
    parts = "credits,videos,keywords,external_ids,watch/providers,similar,recommendations"
    body = await get_json(client, f"/3/movie/{THE_MATRIX}", {"append_to_response": parts})
    assert body["id"] == THE_MATRIX and body["title"] == "The Matrix"
    assert body["imdb_id"] == "tt0133093"
    assert body["genres"] == [{"id": 28, "name": "Action"}, {"id": 878, "name": "Science Fiction"}]
    assert body["runtime"] == 136 and body["release_date"] == "1999-03-30"
    assert body["tagline"] == "Welcome to the Real World." and body["status"] == "Released"
    assert body["budget"] == 63_000_000 and body["revenue"] > 0
    assert body["poster_path"] == "/p96dm7sCMn4VYAStA6siNz30G1r.jpg" and body["adult"] is False

    cast = body["credits"]["cast"]
    assert cast[0]["name"] == "Keanu Reeves" and cast[0]["order"] == 0
    assert cast[0]["character"] == 'Thomas "Neo" Anderson' and cast[0]["id"] == 6384
    assert [c["order"] for c in cast] == list(range(len(cast)))
    assert {"id", "name", "character", "order", "known_for_department", "profile_path", "popularity"} <= set(
        cast[0]
    )
    crew = body["credits"]["crew"]
    assert {(c["name"], c["job"], c["department"]) for c in crew} == {
        ("Lana Wachowski", "Director", "Directing"),
        ("Lilly Wachowski", "Director", "Directing"),
        ("Lana Wachowski", "Writer", "Writing"),
        ("Lilly Wachowski", "Writer", "Writing"),
        ("Don Davis", "Original Music Composer", "Sound"),
    }
    assert body["videos"] == {"results": []}
    assert {"id": 310, "name": "artificial intelligence"} in body["keywords"]["keywords"]
    assert body["external_ids"]["imdb_id"] == "tt0133093"
    assert body["watch/providers"] == {"results": {}}
    for part, item_keys in (
        ("similar", LIST_ITEM_KEYS),
        ("recommendations", {*LIST_ITEM_KEYS, "media_type"}),
    ):
        envelope = body[part]
        assert set(envelope) == {"page", "results", "total_pages", "total_results"}
        assert 0 < len(envelope["results"]) <= 20
        assert set(envelope["results"][0]) == item_keys
    assert {604, 605} <= {m["id"] for m in body["similar"]["results"]}


async def test_movie_details_only_includes_requested_parts(client: httpx.AsyncClient) -> None:
    body = await get_json(client, f"/3/movie/{THE_MATRIX}")
    assert not {"credits", "videos", "keywords", "similar", "watch/providers"} & set(body)
    body = await get_json(client, f"/3/movie/{THE_MATRIX}", {"append_to_response": "keywords"})
    assert "keywords" in body and "credits" not in body


async def test_movie_sub_resources(client: httpx.AsyncClient) -> None:
    credits = await get_json(client, f"/3/movie/{THE_MATRIX}/credits")
    assert credits["id"] == THE_MATRIX and credits["cast"][0]["name"] == "Keanu Reeves"
    similar = await get_json(client, f"/3/movie/{THE_MATRIX}/similar")
    recommended = await get_json(client, f"/3/movie/{THE_MATRIX}/recommendations")
    assert {m["id"] for m in similar["results"]} == {m["id"] for m in recommended["results"]}
    assert (await get_json(client, f"/3/movie/{THE_MATRIX}/watch/providers")) == {
        "id": THE_MATRIX,
        "results": {},
    }
    assert (await get_json(client, f"/3/movie/{THE_MATRIX}/external_ids"))["imdb_id"] == "tt0133093"


async def test_french_genres(client: httpx.AsyncClient) -> None:
    genres = (await get_json(client, "/3/genre/movie/list", {"language": "fr-FR"}))["genres"]
    names = {g["id"]: g["name"] for g in genres}
    assert len(names) == 19
    assert names[35] == "Comédie" and names[878] == "Science-Fiction" and names[10752] == "Guerre"
    english = (await get_json(client, "/3/genre/movie/list", {"language": "en-US"}))["genres"]
    assert {g["id"]: g["name"] for g in english}[35] == "Comedy"
    body = await get_json(client, f"/3/movie/{THE_MATRIX}", {"language": "fr-FR"})
    assert body["genres"] == [{"id": 28, "name": "Action"}, {"id": 878, "name": "Science-Fiction"}]
    assert body["title"] == "The Matrix"  # no French titles in the data


async def test_not_found_shapes(client: httpx.AsyncClient) -> None:
    for path in ("/3/movie/999999999", "/3/movie/999999999/credits", "/3/person/999999999", "/3/nowhere"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.json() == NOT_FOUND


async def test_person_details(client: httpx.AsyncClient) -> None:
    keanu = await person_id(client, "Keanu Reeves")
    body = await get_json(client, f"/3/person/{keanu}", {"append_to_response": "movie_credits,external_ids"})
    assert body["id"] == keanu == 6384  # TMDb's own id
    assert body["known_for_department"] == "Acting"
    for key in (
        "biography",
        "birthday",
        "deathday",
        "place_of_birth",
        "profile_path",
        "imdb_id",
        "popularity",
    ):
        assert key in body
    cast = body["movie_credits"]["cast"]
    assert THE_MATRIX in {c["id"] for c in cast}
    assert {"character", "order", "title", "genre_ids"} <= set(cast[0])
    assert body["movie_credits"]["crew"] == []  # no directing or writing credit in the data
    assert "external_ids" in body

    nolan = await person_id(client, "Christopher Nolan")
    credits = await get_json(client, f"/3/person/{nolan}/movie_credits")
    assert credits["crew"] and {c["job"] for c in credits["crew"]} >= {"Director", "Screenplay"}


# -------------------------------------------------------------------------------------------- lists


async def test_configuration(client: httpx.AsyncClient) -> None:
    images = (await get_json(client, "/3/configuration"))["images"]
    assert images["secure_base_url"] == "https://image.tmdb.org/t/p/"
    assert images["poster_sizes"] == ["w92", "w154", "w185", "w342", "w500", "w780", "original"]
    assert images["backdrop_sizes"] and images["profile_sizes"]


async def test_pagination_is_stable_and_disjoint(client: httpx.AsyncClient) -> None:
    pages = [await get_json(client, "/3/movie/popular", {"page": p}) for p in (1, 2, 3)]
    ids = [[m["id"] for m in page["results"]] for page in pages]
    assert all(len(page) == 20 for page in ids)
    assert len({i for page in ids for i in page}) == 60
    again = await get_json(client, "/3/movie/popular", {"page": 2})
    assert [m["id"] for m in again["results"]] == ids[1]
    first = pages[0]
    assert first["page"] == 1 and first["total_pages"] == -(-first["total_results"] // 20)
    pops = [m["popularity"] for page in pages for m in page["results"]]
    assert pops == sorted(pops, reverse=True)
    assert set(first["results"][0]) == LIST_ITEM_KEYS


@pytest.mark.parametrize("page", ["0", "501", "-1", "abc"])
async def test_invalid_page(client: httpx.AsyncClient, page: str) -> None:
    response = await client.get("/3/movie/popular", params={"page": page})
    assert response.status_code == 400
    assert response.json() == INVALID_PAGE


async def test_page_past_the_end_is_empty(client: httpx.AsyncClient) -> None:
    body = await get_json(client, "/3/discover/movie", {"with_genres": "99,10752", "page": 500})
    assert body["page"] == 500 and body["results"] == []


async def test_trending_top_rated_now_playing_upcoming(client: httpx.AsyncClient) -> None:
    for window in ("day", "week"):
        trending = await get_json(client, f"/3/trending/movie/{window}")
        assert len(trending["results"]) == 20 and trending["results"][0]["media_type"] == "movie"
    assert (await client.get("/3/trending/movie/month")).status_code == 404

    top = (await get_json(client, "/3/movie/top_rated"))["results"]
    assert all(m["vote_count"] >= 50 for m in top)
    assert [m["vote_average"] for m in top] == sorted((m["vote_average"] for m in top), reverse=True)

    playing = await get_json(client, "/3/movie/now_playing")
    dates = playing["dates"]
    assert all(dates["minimum"] <= m["release_date"] <= dates["maximum"] for m in playing["results"])
    upcoming = await get_json(client, "/3/movie/upcoming")
    assert upcoming["results"] and set(upcoming["dates"]) == {"minimum", "maximum"}


# ----------------------------------------------------------------------------------------- discover


async def test_discover_with_genres_and_vs_or(client: httpx.AsyncClient) -> None:
    both = await discover(client, with_genres="28,878")
    either = await discover(client, with_genres="28|878")
    assert all({28, 878} <= set(m["genre_ids"]) for m in both)
    assert all({28, 878} & set(m["genre_ids"]) for m in either)
    assert {m["id"] for m in both} < {m["id"] for m in either}
    without = await discover(client, with_genres="28,878", without_genres="53")
    assert without and all(53 not in m["genre_ids"] for m in without) and len(without) < len(both)


async def test_discover_year_and_runtime_bounds(client: httpx.AsyncClient) -> None:
    params = {"primary_release_date.gte": "1999-01-01", "primary_release_date.lte": "1999-12-31"}
    in_1999 = await discover(client, with_genres="878", **params)
    assert THE_MATRIX in {m["id"] for m in in_1999}
    assert all(m["release_date"].startswith("1999") for m in in_1999)
    by_year = await discover(client, with_genres="878", primary_release_year=1999)
    assert {m["id"] for m in by_year} == {m["id"] for m in in_1999}

    long_ones = await discover(client, with_genres="878", **{"with_runtime.gte": 130})
    short_ones = await discover(client, with_genres="878", **{"with_runtime.lte": 90})
    assert THE_MATRIX in {m["id"] for m in long_ones}
    assert THE_MATRIX not in {m["id"] for m in short_ones}
    assert not {m["id"] for m in long_ones} & {m["id"] for m in short_ones}
    details = await get_json(client, f"/3/movie/{long_ones[-1]['id']}")
    assert details["runtime"] >= 130


async def test_discover_with_people_cast_and_crew(client: httpx.AsyncClient, catalog: OfflineCatalog) -> None:
    nolan = await person_id(client, "Christopher Nolan")
    found = await discover(client, with_people=nolan)
    person = catalog.person(nolan)
    assert person is not None
    assert {m["id"] for m in found} == set(person.movie_ids)
    for movie in found:
        credits = await get_json(client, f"/3/movie/{movie['id']}/credits")
        assert nolan in {p["id"] for p in credits["cast"] + credits["crew"]}

    eastwood = await person_id(client, "Clint Eastwood")
    acted = {m["id"] for m in await discover(client, with_cast=eastwood)}
    directed = {m["id"] for m in await discover(client, with_crew=eastwood)}
    assert acted and directed and acted != directed
    assert {m["id"] for m in await discover(client, with_people=eastwood)} == acted | directed


async def test_discover_keywords_votes_language(client: httpx.AsyncClient) -> None:
    ai = (await get_json(client, "/3/search/keyword", {"query": "artificial intelligence"}))["results"][0]
    assert ai == {"id": 310, "name": "artificial intelligence"}
    with_ai = await discover(client, with_keywords=ai["id"])
    assert THE_MATRIX in {m["id"] for m in with_ai}
    for movie in with_ai[:5]:
        keywords = await get_json(client, f"/3/movie/{movie['id']}/keywords")
        assert ai in keywords["keywords"]
    ai_or_hacker = await discover(client, with_keywords="310|2157")
    ai_and_hacker = await discover(client, with_keywords="310,2157")
    assert len(ai_and_hacker) < len(with_ai) < len(ai_or_hacker)

    voted = await discover(client, **{"vote_count.gte": 5000, "vote_average.gte": 8})
    assert voted and all(m["vote_count"] >= 5000 and m["vote_average"] >= 8 for m in voted)
    french = await discover(client, with_original_language="fr", **{"vote_count.gte": 100})
    assert french and all(m["original_language"] == "fr" for m in french)


@pytest.mark.parametrize(
    ("sort_by", "key", "descending"),
    [
        ("popularity.desc", "popularity", True),
        ("popularity.asc", "popularity", False),
        ("primary_release_date.desc", "release_date", True),
        ("primary_release_date.asc", "release_date", False),
        ("vote_average.desc", "vote_average", True),
        ("vote_average.asc", "vote_average", False),
        ("vote_count.desc", "vote_count", True),
    ],
)
async def test_discover_sort_orders(
    client: httpx.AsyncClient, sort_by: str, key: str, descending: bool
) -> None:
    found = await discover(client, with_genres="878", sort_by=sort_by)
    values = [m[key] for m in found if m[key] != ""]
    assert len(values) > 100
    assert values == sorted(values, reverse=descending)


@pytest.mark.parametrize("sort_by", ["title.asc", "original_title.asc"])
async def test_discover_title_sorts(client: httpx.AsyncClient, sort_by: str) -> None:
    field = sort_by.split(".")[0]
    found = await discover(client, with_genres="37", sort_by=sort_by)
    titles = [fold(m[field]) for m in found]  # case- and accent-insensitive, as TMDb sorts
    assert len(titles) > 50 and titles == sorted(titles)


async def test_discover_watch_providers_are_empty_offline(client: httpx.AsyncClient) -> None:
    body = await get_json(client, "/3/discover/movie", {"with_watch_providers": "8", "watch_region": "US"})
    assert body["results"] == [] and body["total_results"] == 0


# ------------------------------------------------------------------------------------------- search


async def test_search_movie(client: httpx.AsyncClient) -> None:
    body = await get_json(client, "/3/search/movie", {"query": "matrix"})
    assert body["results"][0]["id"] == THE_MATRIX
    in_2003 = (await get_json(client, "/3/search/movie", {"query": "matrix", "year": 2003}))["results"]
    assert {604, 605} <= {m["id"] for m in in_2003}
    assert all(m["release_date"].startswith("2003") for m in in_2003)
    empty = await get_json(client, "/3/search/movie", {"query": "zzzqqqxxx"})
    assert empty == {"page": 1, "results": [], "total_pages": 1, "total_results": 0}


async def test_search_person_includes_known_for(client: httpx.AsyncClient) -> None:
    body = await get_json(client, "/3/search/person", {"query": "keanu"})
    keanu = body["results"][0]
    assert keanu["name"] == "Keanu Reeves" and keanu["known_for_department"] == "Acting"
    assert keanu["known_for"][0]["id"] == THE_MATRIX and keanu["known_for"][0]["media_type"] == "movie"


# --------------------------------------------------------------------------------------------- auth


async def test_tmdb_required_key(catalog: OfflineCatalog) -> None:
    app = create_tmdb_app(catalog, required_key="secret")
    async with client_for(app) as http:
        for params, headers in (({}, {}), ({"api_key": "wrong"}, {}), ({}, {"Authorization": "Bearer nope"})):
            response = await http.get("/3/configuration", params=params, headers=headers)
            assert response.status_code == 401
            assert response.json() == INVALID_KEY
        assert (await http.get("/3/configuration", params={"api_key": "secret"})).status_code == 200
        ok = await http.get("/3/configuration", headers={"Authorization": "Bearer secret"})
        assert ok.status_code == 200


async def test_offline_tmdb_accepts_any_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/3/configuration", params={"api_key": "anything"})
    assert response.status_code == 200


# --------------------------------------------------------------------------------------------- OMDb


async def test_omdb_by_imdb_id(client: httpx.AsyncClient) -> None:
    body = await get_json(client, "/omdb/", {"i": "tt0133093", "apikey": "whatever"})
    assert body["Response"] == "True"
    assert body["Title"] == "The Matrix" and body["Year"] == "1999" and body["imdbID"] == "tt0133093"
    assert body["imdbRating"] == "8.7" and body["imdbVotes"] == "1,676,426"
    assert body["Metascore"] == "73"
    assert body["Ratings"] == [
        {"Source": "Internet Movie Database", "Value": "8.7/10"},
        {"Source": "Metacritic", "Value": "73/100"},
    ]
    assert body["Runtime"] == "136 min" and body["Released"] == "30 Mar 1999"
    assert body["Genre"] == "Action, Science Fiction"
    assert body["Actors"].startswith("Keanu Reeves")
    assert body["Writer"] == "N/A" and body["Awards"] == "N/A"
    assert body["BoxOffice"] == "$171,479,930"
    assert all(isinstance(v, str) for k, v in body.items() if k != "Ratings")


async def test_omdb_not_available_fields(client: httpx.AsyncClient, catalog: OfflineCatalog) -> None:
    # A MovieLens-only movie outside the IMDb top 1000: only the basics are known.
    movie = next(
        m
        for m in catalog.movies(catalog.popular())
        if m.imdb_id and m.imdb is None and m.date_precision == "year" and not m.overview
    )
    body = await get_json(client, "/omdb/", {"i": movie.imdb_id})
    assert body["Response"] == "True" and body["Title"] == movie.title
    assert body["Year"] == str(movie.year)
    for key in ("imdbRating", "imdbVotes", "Metascore", "Released", "Plot", "Rated", "BoxOffice", "Director"):
        assert body[key] == "N/A", key
    assert body["Ratings"] == []


async def test_omdb_unknown_id_and_title(client: httpx.AsyncClient) -> None:
    for imdb_id in ("tt9999999", "nonsense"):
        response = await client.get("/omdb/", params={"i": imdb_id})
        assert response.status_code == 200
        assert response.json() == {"Response": "False", "Error": "Incorrect IMDb ID."}
    body = await get_json(client, "/omdb/", {"t": "No Such Film Anywhere"})
    assert body == {"Response": "False", "Error": "Movie not found!"}


async def test_omdb_by_title_and_without_trailing_slash(client: httpx.AsyncClient) -> None:
    body = await get_json(client, "/omdb/", {"t": "the matrix", "y": "1999"})
    assert body["imdbID"] == "tt0133093"
    assert (await get_json(client, "/omdb", {"i": "tt0133093"}))["Title"] == "The Matrix"
    search = await get_json(client, "/omdb/", {"s": "matrix"})
    assert search["Response"] == "True" and search["Search"][0]["imdbID"] == "tt0133093"


async def test_omdb_required_key(catalog: OfflineCatalog) -> None:
    app = create_mock_upstream_app(catalog, omdb_key="k1", tmdb_key="t1")
    async with client_for(app) as http:
        for params in ({"i": "tt0133093"}, {"i": "tt0133093", "apikey": "bad"}):
            response = await http.get("/omdb/", params=params)
            assert response.status_code == 401
            assert response.json() == {"Response": "False", "Error": "Invalid API key!"}
        ok = await http.get("/omdb/", params={"i": "tt0133093", "apikey": "k1"})
        assert ok.status_code == 200 and ok.json()["Response"] == "True"
        assert (await http.get("/3/configuration")).status_code == 401
        assert (await http.get("/3/configuration", params={"api_key": "t1"})).status_code == 200


# ------------------------------------------------------------------------------------------- faults


async def test_error_rate_gives_tmdb_and_omdb_shaped_503(catalog: OfflineCatalog) -> None:
    app = create_mock_upstream_app(catalog, faults=FaultConfig(error_rate=1.0, seed=1))
    async with client_for(app) as http:
        response = await http.get(f"/3/movie/{THE_MATRIX}")
        assert response.status_code == 503
        assert response.json()["success"] is False and response.json()["status_code"] == 9
        omdb = await http.get("/omdb/", params={"i": "tt0133093"})
        assert omdb.status_code == 503 and omdb.json()["Response"] == "False"
        assert (await http.get("/__calls")).status_code == 200  # never faulted


async def test_seeded_faults_are_reproducible(catalog: OfflineCatalog) -> None:
    async def statuses(seed: int) -> list[int]:
        app = create_mock_upstream_app(catalog, faults=FaultConfig(error_rate=0.5, seed=seed))
        async with client_for(app) as http:
            return [(await http.get("/3/configuration")).status_code for _ in range(40)]

    first = await statuses(7)
    assert first == await statuses(7)
    assert set(first) == {200, 503}
    assert first != await statuses(8)


async def test_rate_limit_gives_429_with_retry_after(catalog: OfflineCatalog) -> None:
    app = create_mock_upstream_app(catalog, faults=FaultConfig(rate_limit=3))
    async with client_for(app) as http:
        responses = [await http.get("/3/configuration") for _ in range(6)]
        assert [r.status_code for r in responses[:3]] == [200, 200, 200]
        limited = responses[3:]
        assert all(r.status_code == 429 for r in limited)
        assert all(int(r.headers["Retry-After"]) >= 1 for r in limited)
        assert limited[0].json()["status_code"] == 25
        omdb = await http.get("/omdb/", params={"i": "tt0133093"})
        assert omdb.status_code == 429 and omdb.json() == {
            "Response": "False",
            "Error": "Request limit reached!",
        }


async def test_latency_and_timeouts(catalog: OfflineCatalog) -> None:
    slow = create_tmdb_app(catalog, FaultConfig(latency_ms=60))
    async with client_for(slow) as http:
        started = time.perf_counter()
        assert (await http.get("/3/configuration")).status_code == 200
        assert time.perf_counter() - started >= 0.06

    hanging = create_tmdb_app(catalog, FaultConfig(timeout_rate=1.0, timeout_seconds=5.0, seed=3))
    async with client_for(hanging) as http:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(http.get("/3/configuration"), timeout=0.2)

    short = create_omdb_app(catalog, FaultConfig(timeout_rate=1.0, timeout_seconds=0.01, seed=3))
    async with client_for(short) as http:
        response = await http.get("/", params={"i": "tt0133093"})
        assert response.status_code == 504 and response.json()["Response"] == "False"


# ----------------------------------------------------------------------------------- call counting


async def test_call_counter_counts_paths_and_resets(catalog: OfflineCatalog) -> None:
    app = create_mock_upstream_app(catalog)
    tmdb, omdb = app.state.children
    async with client_for(app) as http:
        await http.get(f"/3/movie/{THE_MATRIX}")
        await http.get(f"/3/movie/{THE_MATRIX}", params={"append_to_response": "credits"})
        await http.get("/3/movie/604")
        await http.get("/3/movie/999999999")  # failed calls are calls too
        await http.get("/omdb/", params={"i": "tt0133093"})
        assert app.state.calls[f"/3/movie/{THE_MATRIX}"] == 2
        assert app.state.calls["/3/movie/604"] == 1
        assert app.state.calls["/3/movie/999999999"] == 1
        assert app.state.calls["/omdb/?i=tt0133093"] == 1
        assert app.state.calls.total() == 5
        assert tmdb.state.calls[f"/3/movie/{THE_MATRIX}"] == 2 and tmdb.state.calls.total() == 4
        assert omdb.state.calls.total() == 1

        counts = await get_json(http, "/__calls")
        assert counts["total"] == 5 and counts["calls"][f"/3/movie/{THE_MATRIX}"] == 2
        assert app.state.calls.total() == 5  # reading the counts is not a call

        reset_calls(app)
        assert app.state.calls.total() == tmdb.state.calls.total() == omdb.state.calls.total() == 0
        await http.get("/3/configuration")
        assert (await http.delete("/__calls")).status_code == 200
        assert app.state.calls.total() == 0


async def test_faulted_calls_are_counted(catalog: OfflineCatalog) -> None:
    app = create_tmdb_app(catalog, FaultConfig(rate_limit=1))
    async with client_for(app) as http:
        statuses = [(await http.get("/3/configuration")).status_code for _ in range(3)]
    assert statuses == [200, 429, 429]
    assert app.state.calls["/3/configuration"] == 3


# ----------------------------------------------------------------------------------- real-API quirks


@pytest.fixture(scope="module")
def quirky(catalog: OfflineCatalog) -> Starlette:
    return create_mock_upstream_app(catalog, quirks=RealApiQuirks.every())


@pytest.fixture
async def quirky_client(quirky: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(quirky) as http:
        yield http


@pytest.mark.parametrize("total", [0, 1, 19, 20, 21, 40, 41, 80, 81, 137, 1000])
def test_variable_pages_hold_every_item_once(total: int) -> None:
    layout = PageLayout(variable=True)
    items = list(range(total))
    pages = [list(layout.slice(items, p)) for p in range(1, layout.total_pages(total) + 1)]
    assert [i for page in pages for i in page] == items
    assert all(19 <= len(page) <= 21 for page in pages[:-1]) and (total == 0 or pages[-1])
    assert not layout.slice(items, len(pages) + 1)


async def test_variable_pages_walked_to_the_end(
    quirky_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    params = {"with_genres": "99"}  # a few hundred documentaries
    first = await get_json(quirky_client, "/3/discover/movie", {**params, "page": 1})
    pages = [first] + [
        await get_json(quirky_client, "/3/discover/movie", {**params, "page": p})
        for p in range(2, first["total_pages"] + 1)
    ]
    sizes = [len(page["results"]) for page in pages]
    assert sizes[:4] == [21, 20, 19, 20] and all(19 <= n <= 21 for n in sizes[:-1])
    ids = [m["id"] for page in pages for m in page["results"]]
    assert len(ids) == len(set(ids)) == first["total_results"]
    past = await get_json(quirky_client, "/3/discover/movie", {**params, "page": first["total_pages"] + 1})
    assert past["results"] == []
    plain = await discover(client, **params)  # 20-item pages
    assert [m["id"] for m in plain] == ids  # the same list, cut differently


@pytest.mark.parametrize(
    ("path", "params", "error"),
    [
        ("/3/movie/popular", {"page": "0"}, "page must be greater than 0"),
        ("/3/discover/movie", {"page": "501"}, "page must be less than or equal to 500"),
        ("/3/search/movie", {"query": " "}, "query must be provided"),
        ("/3/search/person", {}, "query must be provided"),
    ],
)
async def test_validation_errors_are_422_with_an_errors_list(
    quirky_client: httpx.AsyncClient, path: str, params: dict[str, str], error: str
) -> None:
    response = await quirky_client.get(path, params=params)
    assert response.status_code == 422
    assert response.json() == {"errors": [error]}


async def test_garbage_page_stays_400_with_validation_errors(quirky_client: httpx.AsyncClient) -> None:
    response = await quirky_client.get("/3/movie/popular", params={"page": "abc"})
    assert response.status_code == 400 and response.json() == INVALID_PAGE


async def test_omdb_unknown_ids_answer_response_false(quirky_client: httpx.AsyncClient) -> None:
    for imdb_id, error in (
        ("tt9999998", "Error getting data."),
        ("tt9999999", "Movie not found!"),
        ("nonsense", "Incorrect IMDb ID."),
    ):
        response = await quirky_client.get("/omdb/", params={"i": imdb_id})
        assert response.status_code == 200
        assert response.json() == {"Response": "False", "Error": error}
    assert (await get_json(quirky_client, "/omdb/", {"i": "tt0133093"}))["Title"] == "The Matrix"


async def test_omdb_daily_limit_is_a_401(catalog: OfflineCatalog) -> None:
    app = create_mock_upstream_app(catalog, omdb_key="k", quirks=RealApiQuirks(omdb_daily_limit=2))
    async with client_for(app) as http:
        statuses = [
            (await http.get("/omdb/", params={"i": "tt0133093", "apikey": "k"})).status_code for _ in range(2)
        ]
        over = await http.get("/omdb/", params={"i": "tt0133093", "apikey": "k"})
        bad_key = await http.get("/omdb/", params={"i": "tt0133093", "apikey": "nope"})
    assert statuses == [200, 200]
    assert over.status_code == 401
    assert over.json() == {"Response": "False", "Error": "Request limit reached!"}
    assert bad_key.json() == {"Response": "False", "Error": "Invalid API key!"}  # still told apart


async def test_provider_offers_include_ads_and_free(quirky_client: httpx.AsyncClient) -> None:
    body = await get_json(quirky_client, f"/3/movie/{THE_MATRIX}/watch/providers")
    us = body["results"]["US"]
    assert us["link"] == f"https://www.themoviedb.org/movie/{THE_MATRIX}/watch?locale=US"
    assert {p["provider_name"] for p in us["ads"]} == {"Tubi TV", "Pluto TV"}
    assert [p["provider_id"] for p in us["free"]] == [538]
    assert set(body["results"]["FR"]) == {"link", "flatrate", "buy"}  # a region lists only its kinds
    assert set(us["flatrate"][0]) == {"logo_path", "provider_id", "provider_name", "display_priority"}
    appended = await get_json(
        quirky_client, f"/3/movie/{THE_MATRIX}", {"append_to_response": "watch/providers"}
    )
    assert appended["watch/providers"] == {"results": body["results"]}


async def test_unvoted_movies_have_zero_votes(
    quirky_client: httpx.AsyncClient, catalog: OfflineCatalog
) -> None:
    popular = (await get_json(quirky_client, "/3/movie/popular"))["results"]
    unvoted = [m for m in popular if m["id"] % 10 == 7]
    assert unvoted and all(m["vote_count"] == 0 and m["vote_average"] == 0 for m in unvoted)
    voted = next(m for m in popular if m["id"] % 10 != 7)
    movie = catalog.movie(voted["id"])
    assert movie is not None and voted["vote_count"] == movie.vote_count > 0
    details = await get_json(quirky_client, f"/3/movie/{unvoted[0]['id']}")
    assert details["vote_count"] == 0 and details["vote_average"] == 0


async def test_quirks_are_off_by_default(client: httpx.AsyncClient) -> None:
    sizes = [len((await get_json(client, "/3/movie/popular", {"page": p}))["results"]) for p in (1, 2, 3)]
    assert sizes == [20, 20, 20]
    assert (await client.get("/3/search/movie")).status_code == 200
    assert (await get_json(client, "/omdb/", {"i": "tt9999998"}))["Error"] == "Incorrect IMDb ID."
    assert (await get_json(client, f"/3/movie/{THE_MATRIX}/watch/providers"))["results"] == {}


def test_cli_quirk_flags() -> None:
    assert set(MOCK_QUIRKS) == {"all", *TOGGLES_BY_NAME}
    args = build_parser().parse_args(
        [
            "mock-upstream",
            "--quirk",
            "variable-pages",
            "--quirk",
            "provider-offers",
            "--omdb-daily-limit",
            "5",
        ]
    )
    assert RealApiQuirks.named(args.quirk, omdb_daily_limit=args.omdb_daily_limit) == RealApiQuirks(
        variable_pages=True, provider_offers=True, omdb_daily_limit=5
    )
    every = build_parser().parse_args(["mock-upstream", "--quirk", "all"])
    assert RealApiQuirks.named(every.quirk) == RealApiQuirks.every()
    plain = build_parser().parse_args(["mock-upstream"])
    assert plain.quirk is None and plain.omdb_daily_limit == 0
    with pytest.raises(ValueError, match="unknown quirk"):
        RealApiQuirks.named(["sideways"])
