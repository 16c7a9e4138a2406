"""The offline catalog on real TMDb ids, over HTTP: Keanu Reeves is 6384 offline as on TMDb, with his
filmography and characters; credits, full release dates and posters come from the TMDB 5000 extract."""

from __future__ import annotations

import csv
from pathlib import Path

import httpx
import pytest

from reelgraph.integrations.mock_upstream import create_mock_upstream_app
from reelgraph.integrations.offline_catalog import OFFLINE_PERSON_ID_MIN, OfflineCatalog
from tests.helpers import GraphQLClient

KEANU_REEVES = 6384
THE_MATRIX = 603
CHAIN_REACTION = 12123
THE_GODFATHER = 238
SCIENCE_FICTION = 878
POSTERS_CSV = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "tmdb-5000" / "poster_paths.csv"

PERSON = """
query($id: Int!) {
  person(tmdbId: $id) { tmdbId name knownForDepartment popularity movies(first: 100) { tmdbId title } }
}"""
MOVIE = """
query($id: Int!) {
  movie(tmdbId: $id) {
    title releaseDate posterUrl(size: LARGE)
    cast(first: 50) { character order person { tmdbId name } }
    crew { job department person { tmdbId name } }
    directors { tmdbId name }
  }
}"""
POSTERS = "query($id: Int!) { movie(tmdbId: $id) { tmdbId posterUrl(size: ORIGINAL) } }"


async def _data(gql: GraphQLClient, query: str, **variables: object) -> dict[str, object]:
    body = await gql(query, variables)
    assert "errors" not in body, body["errors"]
    data = body["data"]
    assert isinstance(data, dict)
    return data


async def test_keanu_reeves_has_his_tmdb_id_and_at_least_20_movies_with_characters(
    gql: GraphQLClient,
) -> None:
    person = (await _data(gql, PERSON, id=KEANU_REEVES))["person"]
    assert person["name"] == "Keanu Reeves" and person["tmdbId"] == KEANU_REEVES
    assert person["knownForDepartment"] == "Acting" and person["popularity"] > 1
    movie_ids = {m["tmdbId"] for m in person["movies"]}
    assert {THE_MATRIX, CHAIN_REACTION} <= movie_ids
    # Characters come from the cast of each movie, as TMDb's movie_credits give them.
    characters = {}
    for movie_id in sorted(movie_ids):
        movie = (await _data(gql, MOVIE, id=movie_id))["movie"]
        roles = [c["character"] for c in movie["cast"] if c["person"]["tmdbId"] == KEANU_REEVES]
        if roles and roles[0]:
            characters[movie_id] = roles[0]
    assert len(characters) >= 20, characters
    assert characters[THE_MATRIX] == 'Thomas "Neo" Anderson'


async def test_discover_90s_science_fiction_with_keanu_reeves(gql: GraphQLClient) -> None:
    query = """
    query($people: [Int!]) {
      discover(filter: {genres: [878], yearFrom: 1990, yearTo: 1999, withPeople: $people}, first: 50) {
        nodes { tmdbId year genres { tmdbId } }
      }
    }"""
    nodes = (await _data(gql, query, people=[KEANU_REEVES]))["discover"]["nodes"]
    assert {THE_MATRIX, CHAIN_REACTION} <= {n["tmdbId"] for n in nodes}
    assert all(1990 <= n["year"] <= 1999 for n in nodes)
    assert all(SCIENCE_FICTION in {g["tmdbId"] for g in n["genres"]} for n in nodes)


async def test_the_matrix_has_its_cast_with_characters_crew_by_job_and_real_release_date(
    gql: GraphQLClient,
) -> None:
    movie = (await _data(gql, MOVIE, id=THE_MATRIX))["movie"]
    assert movie["releaseDate"] == "1999-03-30"
    with_characters = [c for c in movie["cast"] if c["character"]]
    assert len(with_characters) >= 10
    assert [c["order"] for c in movie["cast"]] == sorted(c["order"] for c in movie["cast"])
    assert movie["cast"][0]["person"] == {"tmdbId": KEANU_REEVES, "name": "Keanu Reeves"}
    assert {"Morpheus", "Trinity", "Agent Smith"} <= {c["character"] for c in with_characters}
    jobs = {(c["job"], c["department"], c["person"]["name"]) for c in movie["crew"]}
    assert {
        ("Director", "Directing", "Lana Wachowski"),
        ("Director", "Directing", "Lilly Wachowski"),
        ("Writer", "Writing", "Lana Wachowski"),
        ("Original Music Composer", "Sound", "Don Davis"),
    } <= jobs
    assert [d["name"] for d in movie["directors"]] == ["Lilly Wachowski", "Lana Wachowski"]
    assert all(d["tmdbId"] < OFFLINE_PERSON_ID_MIN for d in movie["directors"])


async def test_the_godfather_has_its_real_release_date(gql: GraphQLClient) -> None:
    movie = (await _data(gql, MOVIE, id=THE_GODFATHER))["movie"]
    assert movie["title"] == "The Godfather" and movie["releaseDate"] == "1972-03-14"


@pytest.mark.skipif(not POSTERS_CSV.is_file(), reason="datasets not available")
async def test_posters_for_the_movies_of_the_poster_list(gql: GraphQLClient) -> None:
    catalog = OfflineCatalog.load()
    with POSTERS_CSV.open(encoding="utf-8", newline="") as handle:
        listed = {int(row["tmdb_id"]): row["poster_path"] for row in csv.DictReader(handle)}
    in_catalog = sorted(i for i in listed if catalog.movie(i) is not None)
    assert len(in_catalog) > 900
    # Every catalog movie of the list has its poster; one movie in fifty is asked over HTTP.
    shipped = {i: m.poster_path for i in in_catalog if (m := catalog.movie(i)) is not None}
    assert shipped == {i: listed[i] for i in in_catalog}
    for movie_id in [THE_MATRIX, *in_catalog[::50]]:
        movie = (await _data(gql, POSTERS, id=movie_id))["movie"]
        assert movie["posterUrl"] == f"https://image.tmdb.org/t/p/original{listed[movie_id]}"


async def test_a_movie_without_a_listed_poster_has_none(gql: GraphQLClient) -> None:
    catalog = OfflineCatalog.load()
    unlisted = next(m for m in catalog.movies(catalog.popular()) if m.poster_path is None)
    assert (await _data(gql, POSTERS, id=unlisted.id))["movie"]["posterUrl"] is None


async def test_offline_tmdb_person_movie_credits_carry_characters_and_jobs() -> None:
    """The in-process TMDb app answers movie_credits as TMDb does: a cast item per character, a crew
    item per job (Lana Wachowski directed and wrote The Matrix)."""
    catalog = OfflineCatalog.load()
    lana = next(p for p in catalog.search_people("Lana Wachowski") if p.name == "Lana Wachowski")
    transport = httpx.ASGITransport(app=create_mock_upstream_app(catalog))
    async with httpx.AsyncClient(transport=transport, base_url="http://upstream") as http:
        keanu = (await http.get(f"/3/person/{KEANU_REEVES}/movie_credits")).json()
        wachowski = (
            await http.get(f"/3/person/{lana.id}", params={"append_to_response": "movie_credits"})
        ).json()
        credits = (await http.get(f"/3/movie/{THE_MATRIX}/credits")).json()
    neo = [c for c in keanu["cast"] if c["id"] == THE_MATRIX]
    assert [(c["character"], c["order"]) for c in neo] == [('Thomas "Neo" Anderson', 0)]
    assert sum(1 for c in keanu["cast"] if c["character"]) >= 20
    assert wachowski["known_for_department"] == "Writing"  # TMDb's own, not a guess
    jobs = {(c["job"], c["department"]) for c in wachowski["movie_credits"]["crew"] if c["id"] == THE_MATRIX}
    assert jobs == {("Director", "Directing"), ("Writer", "Writing")}
    assert len({c["credit_id"] for c in credits["cast"] + credits["crew"]}) == len(credits["cast"]) + len(
        credits["crew"]
    )
    assert credits["cast"][0]["character"] == 'Thomas "Neo" Anderson' and credits["cast"][0]["order"] == 0


async def test_imdb_only_people_keep_catalog_ids_out_of_tmdb_range(gql: GraphQLClient) -> None:
    catalog = OfflineCatalog.load()
    offline_only = [p for p in catalog.search_people("a") if p.id >= OFFLINE_PERSON_ID_MIN]
    assert offline_only, "some IMDb top 1000 names match no TMDb person"
    person = (await _data(gql, PERSON, id=offline_only[0].id))["person"]
    assert person["name"] == offline_only[0].name and person["movies"]
