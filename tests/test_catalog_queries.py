"""The catalog over HTTP, offline: genres, movie, person, lists, discover (every filter and sort),
search, related movies, node(id:), languages and bad input."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.relay import GlobalID

from reelgraph.config import Settings
from reelgraph.integrations.offline_catalog import OfflineCatalog
from tests.catalog_fixtures import (
    ACTION,
    DISCOVER,
    DRAMA,
    MATRIX,
    MATRIX_IMDB,
    MOVIES,
    SCIENCE_FICTION,
    TRENDING,
    UNKNOWN_MOVIE,
    catalog,
    ids,
    isolated_app,
    nodes,
)
from tests.helpers import GraphQLClient, error_codes, register

GENRES = "query($language: String) { genres(language: $language) { id tmdbId name } }"
MOVIE = """
query Movie($id: Int!, $language: String) {
  movie(tmdbId: $id, language: $language) {
    id tmdbId title originalTitle originalLanguage overview releaseDate year popularity voteAverage
    voteCount genres { id tmdbId name } imdbId tagline runtime
    posterUrl small: posterUrl(size: SMALL) original: posterUrl(size: ORIGINAL) backdropUrl
    imdbRating imdbVotes metascore rottenTomatoesScore keywords
    cast(first: 3) { person { id tmdbId name } character order }
    crew { person { tmdbId name } job department }
    directorsOnly: crew(jobs: ["director"]) { job }
    nobody: crew(jobs: ["Gaffer"]) { job }
    directors { tmdbId name }
    videos { key site url } trailer { key }
    watchProviders { region } frWatch: watchProviders(region: "FR") { region flatrate { name } }
  }
}
"""
PERSON = """
query Person($id: Int!) {
  person(tmdbId: $id) {
    id tmdbId name knownForDepartment popularity profileUrl biography birthday deathday placeOfBirth
    movies(first: 50) { tmdbId title popularity }
  }
}
"""
SEARCH = """
query Search($q: String!, $first: Int, $after: String) {
  search(query: $q, first: $first, after: $after) {
    totalCount
    edges { cursor node { __typename ... on Movie { tmdbId title } ... on Person { tmdbId name } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
MATRIX_GENRES = "query($language: String) { movie(tmdbId: 603, language: $language) { genres { name } } }"


async def discover(gql: GraphQLClient, first: int = 20, sort: str | None = None, **filters: Any) -> Any:
    variables: dict[str, Any] = {"filter": filters, "first": first}
    if sort:
        variables["sort"] = sort
    body = await gql(DISCOVER, variables)
    assert "errors" not in body, body["errors"]
    return body["data"]["discover"]


async def keanu_id(gql: GraphQLClient) -> int:
    found = await gql(SEARCH, {"q": "Keanu Reeves", "first": 5})
    people = [e["node"] for e in found["data"]["search"]["edges"] if e["node"]["__typename"] == "Person"]
    assert people and people[0]["name"] == "Keanu Reeves"
    return int(people[0]["tmdbId"])


# -- genres ---------------------------------------------------------------------------------------


async def test_genres_in_english_and_french(gql: GraphQLClient) -> None:
    english = (await gql(GENRES))["data"]["genres"]
    french = (await gql(GENRES, {"language": "fr-FR"}))["data"]["genres"]
    assert len(english) == 19
    assert [g["tmdbId"] for g in english] == [g["tmdbId"] for g in french]
    names_en = {g["tmdbId"]: g["name"] for g in english}
    names_fr = {g["tmdbId"]: g["name"] for g in french}
    assert names_en[SCIENCE_FICTION] == "Science Fiction"
    assert names_fr[SCIENCE_FICTION] == "Science-Fiction"
    assert (names_en[DRAMA], names_fr[DRAMA]) == ("Drama", "Drame")
    assert english[0]["id"] == str(GlobalID("Genre", str(english[0]["tmdbId"])))


# -- movie ------------------------------------------------------------------------------------------


async def test_movie_with_every_field(gql: GraphQLClient) -> None:
    body = await gql(MOVIE, {"id": MATRIX})
    assert "errors" not in body
    movie = body["data"]["movie"]
    assert movie["id"] == str(GlobalID("Movie", "603"))
    assert (movie["tmdbId"], movie["title"], movie["originalTitle"]) == (MATRIX, "The Matrix", "The Matrix")
    assert movie["originalLanguage"] == "en"
    assert movie["releaseDate"] == "1999-03-30" and movie["year"] == 1999
    assert "computer hacker" in movie["overview"]
    assert movie["tagline"] == "Welcome to the Real World."
    assert movie["popularity"] > 0 and 0 < movie["voteAverage"] <= 10 and movie["voteCount"] > 1000
    assert [(g["tmdbId"], g["name"]) for g in movie["genres"]] == [
        (ACTION, "Action"),
        (SCIENCE_FICTION, "Science Fiction"),
    ]
    assert movie["imdbId"] == MATRIX_IMDB
    assert movie["runtime"] == 136
    # OMDb scores, parsed from strings such as "1,676,426".
    assert movie["imdbRating"] == 8.7
    assert movie["imdbVotes"] == 1_676_426
    assert movie["metascore"] == 73
    assert movie["rottenTomatoesScore"] is None  # the offline OMDb has no Rotten Tomatoes rating
    assert {"cyberpunk", "virtual reality", "artificial intelligence"} <= set(movie["keywords"])
    # Credits: billing order, and the directors from the crew.
    assert [c["order"] for c in movie["cast"]] == [0, 1, 2]
    assert [c["person"]["name"] for c in movie["cast"]] == [
        "Keanu Reeves",
        "Laurence Fishburne",
        "Carrie-Anne Moss",
    ]
    keanu = movie["cast"][0]["person"]
    assert keanu["id"] == str(GlobalID("Person", str(keanu["tmdbId"])))
    assert [d["name"] for d in movie["directors"]] == ["Lilly Wachowski", "Lana Wachowski"]
    assert {(c["job"], c["department"]) for c in movie["crew"]} == {
        ("Director", "Directing"),
        ("Writer", "Writing"),
        ("Original Music Composer", "Sound"),
    }
    directing = {c["person"]["tmdbId"] for c in movie["crew"] if c["job"] == "Director"}
    assert directing == {d["tmdbId"] for d in movie["directors"]}
    assert len(movie["directorsOnly"]) == 2  # job names match case-insensitively
    assert movie["nobody"] == []
    # Besides posters, the offline data has no images, videos or providers: null and empty, no error.
    # TMDb's own poster path (poster_paths.csv), on TMDb's image host.
    poster = "/p96dm7sCMn4VYAStA6siNz30G1r.jpg"
    assert movie["posterUrl"] == f"https://image.tmdb.org/t/p/w342{poster}"
    assert movie["small"] == f"https://image.tmdb.org/t/p/w185{poster}"
    assert movie["original"] == f"https://image.tmdb.org/t/p/original{poster}"
    assert movie["backdropUrl"] is None
    assert movie["videos"] == [] and movie["trailer"] is None
    assert movie["watchProviders"] is None and movie["frWatch"] is None


async def test_unknown_movie_is_null_without_error(gql: GraphQLClient) -> None:
    for tmdb_id in (UNKNOWN_MOVIE, 0, -5):
        body = await gql(MOVIE, {"id": tmdb_id})
        body.pop("extensions", None)  # the query's cost
        assert body == {"data": {"movie": None}, "_status": 200}, tmdb_id


async def test_cast_first_limits_the_billing(gql: GraphQLClient) -> None:
    query = "{ movie(tmdbId: 603) { one: cast(first: 1) { order } none: cast(first: 0) { order } all: cast { order } } }"
    movie = (await gql(query))["data"]["movie"]
    assert movie["one"] == [{"order": 0}]
    assert movie["none"] == []
    assert len(movie["all"]) >= 3
    assert [c["order"] for c in movie["all"]] == sorted(c["order"] for c in movie["all"])


# -- person -----------------------------------------------------------------------------------------


async def test_person_and_their_movies(gql: GraphQLClient) -> None:
    keanu = await keanu_id(gql)
    person = (await gql(PERSON, {"id": keanu}))["data"]["person"]
    assert person["name"] == "Keanu Reeves" and person["tmdbId"] == keanu
    assert person["id"] == str(GlobalID("Person", str(keanu)))
    assert person["knownForDepartment"] == "Acting"
    assert person["profileUrl"] is None  # no images offline
    assert person["biography"] is None and person["birthday"] is None  # "" and null upstream: null here
    assert MATRIX in [m["tmdbId"] for m in person["movies"]]

    # A director with several films: most popular first, no repeats.
    peter = (await gql(SEARCH, {"q": "Peter Jackson", "first": 3}))["data"]["search"]["edges"][0]["node"]
    films = (await gql(PERSON, {"id": peter["tmdbId"]}))["data"]["person"]["movies"]
    assert len(films) >= 5
    popularity = [m["popularity"] for m in films]
    assert popularity == sorted(popularity, reverse=True)
    assert len({m["tmdbId"] for m in films}) == len(films)
    limited = await gql(
        "query($id: Int!) { person(tmdbId: $id) { movies(first: 2) { tmdbId } } }", {"id": peter["tmdbId"]}
    )
    assert [m["tmdbId"] for m in limited["data"]["person"]["movies"]] == [m["tmdbId"] for m in films[:2]]


async def test_unknown_person_is_null(gql: GraphQLClient) -> None:
    body = await gql(PERSON, {"id": 987_654_321})
    body.pop("extensions", None)  # the query's cost
    assert body == {"data": {"person": None}, "_status": 200}


# -- trending and lists ---------------------------------------------------------------------------------


async def test_trending_week_and_day(gql: GraphQLClient) -> None:
    week = (await gql(TRENDING, {"window": "WEEK", "first": 20}))["data"]["trending"]
    day = (await gql(TRENDING, {"window": "DAY", "first": 20}))["data"]["trending"]
    default = (await gql(TRENDING, {"first": 20}))["data"]["trending"]
    assert len(ids(week)) == 20 and len(ids(day)) == 20
    assert ids(default) == ids(week)  # WEEK is the default window
    assert ids(day) != ids(week)
    popularity = [m["popularity"] for m in nodes(week)]
    assert popularity == sorted(popularity, reverse=True)
    # The day window favours recent films: its page is newer on average.
    assert sum(m["year"] for m in nodes(day)) > sum(m["year"] for m in nodes(week))
    assert week["totalCount"] == catalog().movie_count
    for movie in nodes(week):
        assert movie["title"] and movie["genres"], movie


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("POPULAR", lambda c: c.popular()),
        ("TOP_RATED", lambda c: c.top_rated()),
        ("UPCOMING", lambda c: c.upcoming().movie_ids),
        ("NOW_PLAYING", lambda c: c.now_playing().movie_ids),
    ],
)
async def test_movie_lists_follow_the_upstream_lists(gql: GraphQLClient, kind: str, expected: Any) -> None:
    page = (await gql(MOVIES, {"list": kind, "first": 20}))["data"]["movies"]
    assert ids(page) == list(expected(catalog())[:20])
    with_region = (await gql(MOVIES, {"list": kind, "first": 20, "region": "fr"}))["data"]["movies"]
    assert ids(with_region) == ids(page)  # the offline data has no regional release dates


async def test_movie_lists_are_ordered_as_named(gql: GraphQLClient) -> None:
    async def listing(kind: str) -> list[dict[str, Any]]:
        return nodes((await gql(MOVIES, {"list": kind, "first": 40}))["data"]["movies"])

    popular = [m["popularity"] for m in await listing("POPULAR")]
    assert popular == sorted(popular, reverse=True)
    top = [m["voteAverage"] for m in await listing("TOP_RATED")]
    assert top == sorted(top, reverse=True) and top[0] >= 8
    playing = [m["releaseDate"] for m in await listing("NOW_PLAYING")]
    assert playing == sorted(playing, reverse=True)
    assert len({m["tmdbId"] for m in await listing("UPCOMING")}) == 40


async def test_bad_region_is_refused(gql: GraphQLClient) -> None:
    body = await gql(MOVIES, {"list": "POPULAR", "region": "France"})
    assert error_codes(body) == ["BAD_USER_INPUT"] and "region" in body["errors"][0]["message"]


# -- discover: filters ----------------------------------------------------------------------------------


async def test_discover_genres_any_all_and_primary(gql: GraphQLClient) -> None:
    western, scifi = 37, SCIENCE_FICTION
    any_of = nodes(await discover(gql, 100, genres=[scifi, western], genreMatch="ANY"))
    assert len(any_of) == 100
    assert all({scifi, western} & {g["tmdbId"] for g in m["genres"]} for m in any_of)
    assert {scifi, western} <= {g["tmdbId"] for m in any_of for g in m["genres"]}

    all_of = nodes(await discover(gql, 50, genres=[ACTION, scifi], genreMatch="ALL"))
    assert all_of and all({ACTION, scifi} <= {g["tmdbId"] for g in m["genres"]} for m in all_of)
    assert any(len({ACTION, scifi} & {g["tmdbId"] for g in m["genres"]}) < 2 for m in any_of)

    default = await discover(gql, 100, genres=[scifi])
    assert ids(default) == ids(await discover(gql, 100, genres=[scifi], genreMatch="ANY"))
    # PRIMARY: only movies whose first or second genre is science fiction.
    primary = nodes(await discover(gql, 60, genres=[scifi], genreMatch="PRIMARY"))
    assert len(primary) == 60  # refilled from later upstream pages
    assert all(scifi in [g["tmdbId"] for g in m["genres"]][:2] for m in primary)
    minor = [m["tmdbId"] for m in nodes(default) if scifi not in [g["tmdbId"] for g in m["genres"]][:2]]
    assert minor, "the ANY page should hold movies where science fiction is a minor genre"
    assert not set(minor) & {m["tmdbId"] for m in primary}
    # The relative order of the kept movies is the upstream's.
    kept = [i for i in ids(default) if i not in minor]
    assert [m["tmdbId"] for m in primary][: len(kept)] == kept


async def test_discover_exclude_genres(gql: GraphQLClient) -> None:
    page = nodes(await discover(gql, 100, excludeGenres=[DRAMA, ACTION]))
    assert len(page) == 100
    assert all(not {DRAMA, ACTION} & {g["tmdbId"] for g in m["genres"]} for m in page)
    both = nodes(await discover(gql, 50, genres=[SCIENCE_FICTION], excludeGenres=[ACTION]))
    genre_sets = [{g["tmdbId"] for g in m["genres"]} for m in both]
    assert both and all(SCIENCE_FICTION in s and ACTION not in s for s in genre_sets)


async def test_discover_years_votes_and_language(gql: GraphQLClient) -> None:
    nineties = nodes(await discover(gql, 100, yearFrom=1990, yearTo=1999))
    assert len(nineties) == 100 and all(1990 <= m["year"] <= 1999 for m in nineties)
    one_year = nodes(await discover(gql, 50, yearFrom=2001, yearTo=2001))
    assert one_year and {m["releaseDate"][:4] for m in one_year} == {"2001"}
    since = nodes(await discover(gql, 50, yearFrom=2015))
    assert since and all(m["year"] >= 2015 for m in since)

    good = nodes(await discover(gql, 100, minVoteAverage=8))
    assert good and all(m["voteAverage"] >= 8 for m in good)
    known = nodes(await discover(gql, 100, minVoteCount=5000))
    assert known and all(m["voteCount"] >= 5000 for m in known)
    assert ids(await discover(gql, 100)) != [m["tmdbId"] for m in known]  # the filter did filter

    french = await discover(gql, 100, originalLanguage="fr")
    assert len(french["edges"]) == french["totalCount"] >= 10
    assert {m["originalLanguage"] for m in nodes(french)} == {"fr"}
    assert french["pageInfo"]["hasNextPage"] is False


async def test_discover_runtime_range(gql: GraphQLClient) -> None:
    query = """query($filter: MovieFilter!) { discover(filter: $filter, first: 15) {
      edges { node { tmdbId runtime } } } }"""
    short = await gql(query, {"filter": {"runtimeMax": 85}})
    long = await gql(query, {"filter": {"runtimeMin": 170, "runtimeMax": 200}})
    short_runtimes = [e["node"]["runtime"] for e in short["data"]["discover"]["edges"]]
    long_runtimes = [e["node"]["runtime"] for e in long["data"]["discover"]["edges"]]
    assert len(short_runtimes) == 15 and all(0 < r <= 85 for r in short_runtimes)
    assert len(long_runtimes) == 15 and all(170 <= r <= 200 for r in long_runtimes)


async def test_discover_imdb_filters(gql: GraphQLClient) -> None:
    query = """query($filter: MovieFilter!) { discover(filter: $filter, first: 10) {
      edges { node { tmdbId imdbRating imdbVotes } } pageInfo { hasNextPage endCursor } } }"""
    rated = (await gql(query, {"filter": {"minImdbRating": 8.5}}))["data"]["discover"]
    ratings = [e["node"]["imdbRating"] for e in rated["edges"]]
    assert ratings and all(r >= 8.5 for r in ratings)
    unfiltered = ids(await discover(gql, 10))
    assert [e["node"]["tmdbId"] for e in rated["edges"]] != unfiltered
    voted = (await gql(query, {"filter": {"minImdbVotes": 1_000_000}}))["data"]["discover"]
    votes = [e["node"]["imdbVotes"] for e in voted["edges"]]
    assert votes and all(v >= 1_000_000 for v in votes)
    # Combined with a TMDb filter, both apply.
    both = (await gql(query, {"filter": {"minImdbRating": 8, "genres": [SCIENCE_FICTION]}}))["data"]
    assert all(e["node"]["imdbRating"] >= 8 for e in both["discover"]["edges"])
    assert MATRIX in [e["node"]["tmdbId"] for e in both["discover"]["edges"]]


async def test_discover_with_people(gql: GraphQLClient) -> None:
    keanu = await keanu_id(gql)
    found = await discover(gql, 100, withPeople=[keanu])
    assert MATRIX in ids(found)
    query = """query($ids: [Int!]) { discover(filter: {withPeople: $ids}, first: 100) {
      edges { node { tmdbId cast(first: 50) { person { tmdbId } } directors { tmdbId } } } } }"""
    peter = (await gql(SEARCH, {"q": "Peter Jackson", "first": 1}))["data"]["search"]["edges"][0]["node"]
    people = {keanu, peter["tmdbId"]}
    edges = (await gql(query, {"ids": sorted(people)}))["data"]["discover"]["edges"]
    credited = [
        {c["person"]["tmdbId"] for c in e["node"]["cast"]} | {d["tmdbId"] for d in e["node"]["directors"]}
        for e in edges
    ]
    assert len(edges) > len(ids(found))  # either person: more movies than Keanu's alone
    assert all(people & names for names in credited)
    # The same films as the people's own filmographies.
    person_movies = "query($id: Int!) { person(tmdbId: $id) { movies(first: 100) { tmdbId } } }"
    filmographies = set()
    for person in people:
        filmographies |= {
            m["tmdbId"] for m in (await gql(person_movies, {"id": person}))["data"]["person"]["movies"]
        }
    assert {e["node"]["tmdbId"] for e in edges} == filmographies


async def test_discover_keywords(gql: GraphQLClient) -> None:
    query = """query($kw: [String!]) { discover(filter: {keywords: $kw}, first: 50) {
      totalCount edges { node { tmdbId keywords } } } }"""
    found = (await gql(query, {"kw": ["Cyberpunk"]}))["data"]["discover"]
    assert MATRIX in [e["node"]["tmdbId"] for e in found["edges"]]
    assert all("cyberpunk" in e["node"]["keywords"] for e in found["edges"])
    either = (await gql(query, {"kw": ["cyberpunk", "time travel"]}))["data"]["discover"]
    assert either["totalCount"] > found["totalCount"]
    assert all({"cyberpunk", "time travel"} & set(e["node"]["keywords"]) for e in either["edges"])
    nothing = (await gql(query, {"kw": ["zzqx no such keyword"]}))["data"]["discover"]
    assert nothing["edges"] == [] and nothing["totalCount"] == 0


async def test_discover_watch_providers_offline_is_an_empty_connection(gql: GraphQLClient) -> None:
    for region in ("US", "FR", None):
        found = await discover(gql, 20, watchProviders=[8, 337], watchRegion=region)
        assert found["edges"] == [] and found["totalCount"] == 0
        assert found["pageInfo"]["hasNextPage"] is False


# -- discover: sorts ----------------------------------------------------------------------------------


def _title_key(title: str) -> str:
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^\w]+", " ", plain.casefold()).split())


@pytest.mark.parametrize(
    ("sort", "field", "descending"),
    [
        ("POPULARITY_DESC", "popularity", True),
        ("RELEASE_DATE_DESC", "releaseDate", True),
        ("RELEASE_DATE_ASC", "releaseDate", False),
        ("VOTE_AVERAGE_DESC", "voteAverage", True),
    ],
)
async def test_discover_sorts(gql: GraphQLClient, sort: str, field: str, descending: bool) -> None:
    found = nodes(await discover(gql, 60, sort=sort, genres=[SCIENCE_FICTION], yearFrom=1980))
    values = [m[field] for m in found]
    assert len(values) == 60 and None not in values
    assert values == sorted(values, reverse=descending)
    if sort == "VOTE_AVERAGE_DESC":  # one-vote films do not crowd the top
        assert all(m["voteCount"] >= 50 for m in found)


async def test_discover_default_sort_is_popularity(gql: GraphQLClient) -> None:
    default = await discover(gql, 30, genres=[DRAMA])
    assert ids(default) == ids(await discover(gql, 30, sort="POPULARITY_DESC", genres=[DRAMA]))
    assert ids(default) != ids(await discover(gql, 30, sort="TITLE_ASC", genres=[DRAMA]))


async def test_discover_title_sort(gql: GraphQLClient) -> None:
    found = nodes(await discover(gql, 60, sort="TITLE_ASC", genres=[SCIENCE_FICTION], yearFrom=1995))
    keys = [_title_key(m["title"]) for m in found]
    assert len(keys) == 60 and keys == sorted(keys)


async def test_discover_imdb_rating_sort(gql: GraphQLClient) -> None:
    query = """query($filter: MovieFilter!) { discover(filter: $filter, sort: IMDB_RATING_DESC, first: 12) {
      edges { node { tmdbId title imdbRating } } } }"""
    crime_1994 = {"genres": [80], "yearFrom": 1994, "yearTo": 1994}
    edges = (await gql(query, {"filter": crime_1994}))["data"]["discover"]["edges"]
    ratings = [e["node"]["imdbRating"] for e in edges]
    rated = [r for r in ratings if r is not None]
    assert len(edges) == 12 and len(rated) >= 3
    assert ratings[: len(rated)] == rated  # unrated movies come last
    assert rated == sorted(rated, reverse=True)
    assert edges[0]["node"]["title"] == "The Shawshank Redemption"
    by_popularity = await discover(gql, 12, **crime_1994)
    assert [e["node"]["tmdbId"] for e in edges] != ids(by_popularity)
    assert {e["node"]["tmdbId"] for e in edges} <= set(ids(await discover(gql, 100, **crime_1994)))


# -- search -----------------------------------------------------------------------------------------------


async def test_search_movies_and_people(gql: GraphQLClient) -> None:
    movies = (await gql(SEARCH, {"q": "matrix", "first": 10}))["data"]["search"]
    titles = [e["node"]["title"] for e in movies["edges"] if e["node"]["__typename"] == "Movie"]
    assert titles[0] == "The Matrix"
    assert {"The Matrix Reloaded", "The Matrix Revolutions"} <= set(titles)

    mixed = (await gql(SEARCH, {"q": "jackson", "first": 100}))["data"]["search"]
    kinds = {e["node"]["__typename"] for e in mixed["edges"]}
    assert kinds == {"Movie", "Person"}
    names = [e["node"].get("name") or e["node"]["title"] for e in mixed["edges"]]
    assert "Peter Jackson" in names and "Samuel L. Jackson" in names
    assert any("Percy Jackson" in name for name in names)
    assert mixed["totalCount"] == len(mixed["edges"])

    nothing = (await gql(SEARCH, {"q": "zzqxw nothing matches"}))["data"]["search"]
    assert nothing["edges"] == [] and nothing["pageInfo"]["hasNextPage"] is False


async def test_search_pages_do_not_repeat(gql: GraphQLClient) -> None:
    seen: list[tuple[str, int]] = []
    after = None
    for _ in range(3):
        page = (await gql(SEARCH, {"q": "the", "first": 15, "after": after}))["data"]["search"]
        assert len(page["edges"]) == 15 and page["pageInfo"]["hasNextPage"] is True
        seen += [(e["node"]["__typename"], e["node"]["tmdbId"]) for e in page["edges"]]
        after = page["pageInfo"]["endCursor"]
    assert len(set(seen)) == 45


# -- genres' movies, related movies, nodes ---------------------------------------------------------------


async def test_genre_movies(gql: GraphQLClient) -> None:
    query = """query($id: ID!, $after: String) { node(id: $id) { ... on Genre { tmdbId name
      movies(first: 10, after: $after) { edges { node { tmdbId genres { tmdbId } } }
        pageInfo { hasNextPage endCursor } } } } }"""
    genre_id = str(GlobalID("Genre", str(SCIENCE_FICTION)))
    first = (await gql(query, {"id": genre_id}))["data"]["node"]
    assert first["name"] == "Science Fiction"
    page1 = first["movies"]
    assert len(page1["edges"]) == 10 and page1["pageInfo"]["hasNextPage"] is True
    page2 = (await gql(query, {"id": genre_id, "after": page1["pageInfo"]["endCursor"]}))["data"]["node"][
        "movies"
    ]
    movies = [e["node"] for e in page1["edges"] + page2["edges"]]
    assert len({m["tmdbId"] for m in movies}) == 20
    assert all(SCIENCE_FICTION in [g["tmdbId"] for g in m["genres"]] for m in movies)
    # The same movies as discover by that genre.
    assert [m["tmdbId"] for m in movies] == ids(await discover(gql, 20, genres=[SCIENCE_FICTION]))

    listed = """{ genres { tmdbId movies(first: 2) { edges { node { genres { tmdbId } } } } } }"""
    for genre in (await gql(listed))["data"]["genres"]:
        for edge in genre["movies"]["edges"]:
            assert genre["tmdbId"] in [g["tmdbId"] for g in edge["node"]["genres"]]


async def test_similar_and_recommendations(gql: GraphQLClient, app: Any) -> None:
    query = """{ movie(tmdbId: 603) {
      similar(first: 10) { tmdbId title genres { name } }
      recommendations(first: 10) { tmdbId popularity }
      three: similar(first: 3) { tmdbId }
      none: recommendations(first: 0) { tmdbId }
    } }"""
    movie = (await gql(query))["data"]["movie"]
    similar = [m["tmdbId"] for m in movie["similar"]]
    recommended = [m["tmdbId"] for m in movie["recommendations"]]
    assert len(similar) == 10 and len(recommended) == 10
    assert MATRIX not in similar and MATRIX not in recommended
    assert {604, 605} <= set(similar[:5])  # the sequels are the closest
    assert all(m["genres"] for m in movie["similar"])  # list items carry genre names too
    assert movie["three"] == [{"tmdbId": i} for i in similar[:3]]
    assert movie["none"] == []
    # TMDb's recommendations (here the offline catalog's), in their order, interleaved with the
    # server's own item-item neighbours; a movie on both lists takes its earlier place.
    upstream = list(OfflineCatalog.load().recommendations(MATRIX))[:10]
    neighbours = [
        m for m in await app.state.services.recommendations.similar_items(MATRIX, 11) if m != MATRIX
    ]
    interleaved = [m for pair in zip(upstream, neighbours, strict=False) for m in pair]
    interleaved += upstream[len(neighbours) :] + neighbours[len(upstream) :]
    assert recommended == list(dict.fromkeys(interleaved))[:10]
    assert set(recommended) & set(upstream) and set(recommended) - set(upstream)
    too_many = await gql("{ movie(tmdbId: 603) { similar(first: 101) { tmdbId } } }")
    assert error_codes(too_many) == ["BAD_USER_INPUT"]


async def test_node_fetches_movies_people_and_genres(gql: GraphQLClient) -> None:
    query = """query($id: ID!) { node(id: $id) { __typename id
      ... on Movie { tmdbId title runtime } ... on Person { tmdbId name } ... on Genre { tmdbId name } } }"""
    movie = (await gql(MOVIE, {"id": MATRIX}))["data"]["movie"]
    person = movie["cast"][0]["person"]
    genre = movie["genres"][1]
    assert (await gql(query, {"id": movie["id"]}))["data"]["node"] == {
        "__typename": "Movie",
        "id": movie["id"],
        "tmdbId": MATRIX,
        "title": "The Matrix",
        "runtime": 136,
    }
    assert (await gql(query, {"id": person["id"]}))["data"]["node"] == {
        "__typename": "Person",
        "id": person["id"],
        "tmdbId": person["tmdbId"],
        "name": "Keanu Reeves",
    }
    assert (await gql(query, {"id": genre["id"]}))["data"]["node"] == {
        "__typename": "Genre",
        "id": genre["id"],
        "tmdbId": SCIENCE_FICTION,
        "name": "Science Fiction",
    }
    french = await gql(query, {"id": genre["id"]}, **{"accept-language": "fr-FR"})
    assert french["data"]["node"]["name"] == "Science-Fiction"
    for missing in (
        GlobalID("Movie", str(UNKNOWN_MOVIE)),
        GlobalID("Person", "987654321"),
        GlobalID("Genre", "4242"),
    ):
        assert (await gql(query, {"id": str(missing)}))["data"] == {"node": None}, missing


# -- language --------------------------------------------------------------------------------------------


async def test_language_argument_header_and_default(gql: GraphQLClient) -> None:
    async def names(language: str | None = None, **headers: str) -> list[str]:
        body = await gql(MATRIX_GENRES, {"language": language}, **headers)
        return [g["name"] for g in body["data"]["movie"]["genres"]]

    assert await names() == ["Action", "Science Fiction"]  # default: en-US
    french_header = {"accept-language": "fr-FR,fr;q=0.9,en;q=0.5"}
    assert await names(**french_header) == ["Action", "Science-Fiction"]
    assert await names(**{"accept-language": "en;q=0.3, fr;q=0.9"}) == ["Action", "Science-Fiction"]
    assert await names("en-US", **french_header) == ["Action", "Science Fiction"]  # the argument wins
    assert await names("fr") == ["Action", "Science-Fiction"]  # a bare language is accepted
    assert await names("fr_FR") == ["Action", "Science-Fiction"]
    # Lists and nested genres follow the request's language too.
    listing = await gql(
        """{ genres(language: "fr-FR") { tmdbId movies(first: 3) { nodes { genres { tmdbId name } } } } }"""
    )
    scifi = next(g for g in listing["data"]["genres"] if g["tmdbId"] == SCIENCE_FICTION)
    nested = {
        g["name"] for m in scifi["movies"]["nodes"] for g in m["genres"] if g["tmdbId"] == SCIENCE_FICTION
    }
    assert nested == {"Science-Fiction"}
    french_names = {
        g["tmdbId"]: g["name"] for g in (await gql(GENRES, {"language": "fr-FR"}))["data"]["genres"]
    }
    trending = await gql(TRENDING, {"first": 20}, **french_header)
    shown = {(g["tmdbId"], g["name"]) for m in nodes(trending["data"]["trending"]) for g in m["genres"]}
    assert shown == {(tmdb_id, french_names[tmdb_id]) for tmdb_id, _ in shown}
    assert any(name != "Action" and tmdb_id != SCIENCE_FICTION for tmdb_id, name in shown)


async def test_viewer_locale_comes_before_the_header(gql: GraphQLClient) -> None:
    session = await register(gql)
    token = session["accessToken"]
    update = 'mutation { updateProfile(input: {locale: "fr-FR"}) { errors { code } } }'
    assert (await gql(update, token=token))["data"]["updateProfile"]["errors"] == []
    body = await gql(MATRIX_GENRES, token=token, **{"accept-language": "en-US"})
    assert [g["name"] for g in body["data"]["movie"]["genres"]] == ["Action", "Science-Fiction"]
    explicit = await gql(MATRIX_GENRES, {"language": "en-US"}, token=token)
    assert [g["name"] for g in explicit["data"]["movie"]["genres"]] == ["Action", "Science Fiction"]


# -- bad input -------------------------------------------------------------------------------------------


BAD_INPUT = {
    "year-range-inverted": (DISCOVER, {"filter": {"yearFrom": 2010, "yearTo": 2000}}, "yearFrom"),
    "year-out-of-range": (DISCOVER, {"filter": {"yearFrom": 1500}}, "yearFrom"),
    "negative-runtime": (DISCOVER, {"filter": {"runtimeMin": -5}}, "runtimeMin"),
    "runtime-range-inverted": (DISCOVER, {"filter": {"runtimeMin": 120, "runtimeMax": 90}}, "runtimeMin"),
    "imdb-rating-11": (DISCOVER, {"filter": {"minImdbRating": 11}}, "minImdbRating"),
    "negative-vote-average": (DISCOVER, {"filter": {"minVoteAverage": -1}}, "minVoteAverage"),
    "negative-vote-count": (DISCOVER, {"filter": {"minVoteCount": -1}}, "minVoteCount"),
    "negative-imdb-votes": (DISCOVER, {"filter": {"minImdbVotes": -1}}, "minImdbVotes"),
    "language-name": (DISCOVER, {"filter": {"originalLanguage": "french"}}, "originalLanguage"),
    "region-3-letters": (DISCOVER, {"filter": {"watchProviders": [8], "watchRegion": "USA"}}, "watchRegion"),
    "genre-id-0": (DISCOVER, {"filter": {"genres": [0]}}, "genres"),
    "keyword-too-long": (DISCOVER, {"filter": {"keywords": ["x" * 101]}}, "keywords"),
    "discover-first-101": (DISCOVER, {"filter": {}, "first": 101}, "first"),
    "trending-language-english": (TRENDING, {"language": "english"}, "language"),
    "trending-first-negative": (TRENDING, {"first": -1}, "first"),
    "movie-language-english": (MATRIX_GENRES, {"language": "english"}, "language"),
    "genres-language-francais": (GENRES, {"language": "français"}, "language"),
    "search-empty": (SEARCH, {"q": ""}, "query"),
    "search-blank": (SEARCH, {"q": "   "}, "query"),
    "search-too-long": (SEARCH, {"q": "x" * 201}, "query"),
}


@pytest.mark.parametrize(("query", "variables", "named"), list(BAD_INPUT.values()), ids=list(BAD_INPUT))
async def test_bad_input_is_refused_naming_the_argument(
    gql: GraphQLClient, query: str, variables: dict[str, Any], named: str
) -> None:
    body = await gql(query, variables)
    assert error_codes(body) == ["BAD_USER_INPUT"], body
    assert named in body["errors"][0]["message"], body["errors"][0]
    assert body["data"] is None or set(body["data"].values()) == {None}


# -- what the offline data lacks: images, videos, watch providers ------------------------------------------

RICH_ID = 990_000_042


class RichTmdb:
    """A tiny TMDb with one movie that has everything the offline catalog lacks."""

    def __init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route("/3/configuration", self.configuration),
                Route("/3/movie/{movie_id:int}", self.movie),
            ]
        )

    async def configuration(self, request: Request) -> JSONResponse:
        return JSONResponse({"images": {"secure_base_url": "https://img.example/t/p/"}})

    async def movie(self, request: Request) -> JSONResponse:
        if request.path_params["movie_id"] != RICH_ID:
            return JSONResponse({"status_code": 34, "status_message": "Not found"}, status_code=404)

        def video(key: str, site: str, kind: str, official: bool) -> dict[str, Any]:
            return {"key": key, "site": site, "name": f"{kind} {key}", "type": kind, "official": official}

        def provider(tmdb_id: int, name: str, priority: int) -> dict[str, Any]:
            return {
                "provider_id": tmdb_id,
                "provider_name": name,
                "logo_path": f"/{name[0].lower()}.jpg",
                "display_priority": priority,
            }

        empty = {"page": 1, "results": [], "total_pages": 0, "total_results": 0}
        return JSONResponse(
            {
                "id": RICH_ID,
                "title": "Rich",
                "release_date": "2020-02-02",
                "genres": [{"id": DRAMA, "name": "Drama"}],
                "poster_path": "/poster.jpg",
                "backdrop_path": "/back.jpg",
                "runtime": 101,
                "imdb_id": None,
                "credits": {
                    "cast": [{"id": 7, "name": "Ann Actor", "profile_path": "/ann.jpg", "order": 0}],
                    "crew": [],
                },
                "videos": {
                    "results": [
                        video("tease", "YouTube", "Teaser", True),
                        video("vim", "Vimeo", "Trailer", True),
                        video("fan", "YouTube", "Trailer", False),
                        video("official", "YouTube", "Trailer", True),
                    ]
                },
                "watch/providers": {
                    "results": {
                        "US": {
                            "link": "https://tmdb.example/watch",
                            "flatrate": [provider(8, "Netflix", 2), provider(337, "Disney Plus", 1)],
                            "rent": [provider(2, "Apple TV", 4)],
                        }
                    }
                },
                "similar": empty,
                "recommendations": empty,
            }
        )


async def test_images_videos_and_providers_when_the_upstream_has_them(settings: Settings) -> None:
    query = """query($id: Int!) { movie(tmdbId: $id) {
      posterUrl small: posterUrl(size: SMALL) large: posterUrl(size: LARGE) original: posterUrl(size: ORIGINAL)
      backdropUrl smallBackdrop: backdropUrl(size: SMALL)
      cast { person { profileUrl } }
      videos { key site url } trailer { key name url }
      watchProviders { region link flatrate { tmdbId name logoUrl } rent { name } buy { name } }
      lower: watchProviders(region: "us") { region }
      france: watchProviders(region: "FR") { region }
      imdbRating
    } }"""
    async with isolated_app(settings, tmdb=RichTmdb().app) as env:
        body = await env.gql(query, {"id": RICH_ID})
        assert "errors" not in body, body["errors"]
        movie = body["data"]["movie"]
        assert env.omdb_calls == {}  # no IMDb id: OMDb is not asked
    base = "https://img.example/t/p/"
    assert movie["posterUrl"] == f"{base}w342/poster.jpg"  # MEDIUM by default
    assert (movie["small"], movie["large"], movie["original"]) == (
        f"{base}w185/poster.jpg",
        f"{base}w780/poster.jpg",
        f"{base}original/poster.jpg",
    )
    assert (
        movie["backdropUrl"] == f"{base}w1280/back.jpg" and movie["smallBackdrop"] == f"{base}w300/back.jpg"
    )
    assert movie["cast"] == [{"person": {"profileUrl": f"{base}w185/ann.jpg"}}]
    assert [v["url"] for v in movie["videos"]] == [
        "https://www.youtube.com/watch?v=tease",
        "https://vimeo.com/vim",
        "https://www.youtube.com/watch?v=fan",
        "https://www.youtube.com/watch?v=official",
    ]
    # The trailer: an official YouTube trailer beats a teaser, a fan upload and another site.
    assert movie["trailer"] == {
        "key": "official",
        "name": "Trailer official",
        "url": "https://www.youtube.com/watch?v=official",
    }
    assert movie["watchProviders"] == {
        "region": "US",
        "link": "https://tmdb.example/watch",
        "flatrate": [  # in TMDb's display priority
            {"tmdbId": 337, "name": "Disney Plus", "logoUrl": f"{base}w45/d.jpg"},
            {"tmdbId": 8, "name": "Netflix", "logoUrl": f"{base}w45/n.jpg"},
        ],
        "rent": [{"name": "Apple TV"}],
        "buy": [],
    }
    assert movie["lower"] == {"region": "US"}
    assert movie["france"] is None
    assert movie["imdbRating"] is None
