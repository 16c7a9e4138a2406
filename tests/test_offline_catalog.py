"""OfflineCatalog: the shipped data and the list/search/discover logic the mock upstream uses."""

from __future__ import annotations

import importlib.util
import sys
from importlib import resources
from pathlib import Path
from types import ModuleType

import pytest

from reelgraph.integrations.offline_catalog import (
    OFFLINE_KEYWORD_ID_MIN,
    OFFLINE_PERSON_ID_MIN,
    SORT_FIELDS,
    TOP_RATED_MIN_VOTES,
    IdFilter,
    Movie,
    OfflineCatalog,
)
from reelgraph.integrations.offline_catalog import OfflineDiscoverQuery as DiscoverQuery
from reelgraph.text import fold

THE_MATRIX = 603
MATRIX_RELOADED = 604
MATRIX_REVOLUTIONS = 605
ACTION, ADVENTURE, SCIENCE_FICTION, DRAMA, CRIME = 28, 12, 878, 18, 80
REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO.parent / "shared" / "datasets"


@pytest.fixture(scope="module")
def catalog() -> OfflineCatalog:
    return OfflineCatalog.load()


def person_id(catalog: OfflineCatalog, name: str) -> int:
    found = [p for p in catalog.search_people(name) if p.name == name]
    assert found, name
    return found[0].id


def movies(catalog: OfflineCatalog, ids: tuple[int, ...]) -> list[Movie]:
    return catalog.movies(ids)


# ------------------------------------------------------------------------------------------ loading


def test_load_is_cached_and_sizeable(catalog: OfflineCatalog) -> None:
    assert OfflineCatalog.load() is catalog
    assert catalog.movie_count > 9_500
    assert catalog.person_count > 2_000


def test_load_from_explicit_path_reads_the_same_data(tmp_path: Path) -> None:
    packaged = resources.files("reelgraph.integrations").joinpath("catalog_data").joinpath("catalog.json.gz")
    copy = tmp_path / "catalog.json.gz"
    copy.write_bytes(packaged.read_bytes())
    other = OfflineCatalog.load(copy)
    assert other is not OfflineCatalog.load()
    assert other.movie(THE_MATRIX) == OfflineCatalog.load().movie(THE_MATRIX)


# ------------------------------------------------------------------------------------------- movies


def test_the_matrix_merges_all_three_sources(catalog: OfflineCatalog) -> None:
    matrix = catalog.movie(THE_MATRIX)
    assert matrix is not None
    assert matrix.title == "The Matrix"
    assert matrix.genre_ids == (ACTION, SCIENCE_FICTION)  # TMDb order
    assert matrix.imdb_id == "tt0133093"
    assert matrix.release_date == "1999-03-30" and matrix.date_precision == "day"
    assert matrix.runtime == 136
    assert set(matrix.sources) == {"tmdb", "movielens", "imdb"}
    assert matrix.imdb is not None and matrix.imdb.rating == 8.7 and matrix.imdb.votes == 1_676_426
    cast = [p.name for p in catalog.people(matrix.cast_ids)]
    directors = [p.name for p in catalog.people(matrix.director_ids)]
    # TMDb's credits: billed cast with characters, directors in TMDb's crew order.
    assert cast[:3] == ["Keanu Reeves", "Laurence Fishburne", "Carrie-Anne Moss"]
    assert matrix.cast[0].character == 'Thomas "Neo" Anderson' and matrix.cast[0].order == 0
    assert directors == ["Lilly Wachowski", "Lana Wachowski"]
    assert {(c.job, c.department) for c in matrix.crew} == {
        ("Director", "Directing"),
        ("Writer", "Writing"),
        ("Original Music Composer", "Sound"),
    }
    assert matrix.poster_path == "/p96dm7sCMn4VYAStA6siNz30G1r.jpg"
    assert "artificial intelligence" in [k.name for k in catalog.keywords_of(matrix)]


def test_movielens_only_movie_has_untangled_title_and_rating_based_votes(catalog: OfflineCatalog) -> None:
    kane = catalog.find_by_title("Citizen Kane", 1941)
    assert kane is not None
    assert "tmdb" not in kane.sources and "movielens" in kane.sources
    assert kane.release_date == "1941-01-01" and kane.date_precision == "year"
    assert 0 < kane.vote_count < 500  # MovieLens rating count, not TMDb's
    assert 0 < kane.vote_average <= 10
    assert kane.overview  # filled from IMDb top 1000
    assert kane.original_language == ""


def test_movielens_titles_put_articles_back_in_front(catalog: OfflineCatalog) -> None:
    titles = [m.title for m in catalog.movies(catalog.popular())]
    assert not [t for t in titles if t.endswith((", The", ", A", ", An"))]


def test_lookups_by_imdb_id(catalog: OfflineCatalog) -> None:
    assert catalog.movie_by_imdb_id("tt0133093") == catalog.movie(THE_MATRIX)
    assert catalog.movie_by_imdb_id("TT0133093") == catalog.movie(THE_MATRIX)
    assert catalog.movie_by_imdb_id("tt0000000") is None
    assert catalog.movie(-1) is None
    assert catalog.person(-1) is None


def test_offline_only_id_ranges(catalog: OfflineCatalog) -> None:
    matrix = catalog.movie(THE_MATRIX)
    assert matrix is not None
    # Person ids are TMDb's (Keanu Reeves is 6384 as on TMDb) ...
    assert matrix.cast_ids[0] == 6384
    assert all(pid < OFFLINE_PERSON_ID_MIN for pid in (*matrix.cast_ids, *matrix.director_ids))
    # ... except IMDb top 1000 names that match no TMDb person, numbered far above TMDb's range.
    assert catalog.search_people("Charles Chaplin")[0].id >= OFFLINE_PERSON_ID_MIN
    # Movies without TMDb keywords get MovieLens tags as keywords, in the offline range.
    tag_keywords = catalog.search_keywords("atmospheric")
    assert any(k.id >= OFFLINE_KEYWORD_ID_MIN and k.offline_only for k in tag_keywords)


# ------------------------------------------------------------------------------------------- genres


def test_genres_in_english_and_french(catalog: OfflineCatalog) -> None:
    english = dict(catalog.genres("en-US"))
    french = dict(catalog.genres("fr-FR"))
    assert len(english) == len(french) == 19
    assert english[SCIENCE_FICTION] == "Science Fiction" and french[SCIENCE_FICTION] == "Science-Fiction"
    assert french[35] == "Comédie" and french[10751] == "Familial" and french[10770] == "Téléfilm"
    assert dict(catalog.genres("fr")) == french
    assert dict(catalog.genres(None)) == english


# ------------------------------------------------------------------------------------------- search


def test_search_is_case_and_accent_insensitive(catalog: OfflineCatalog) -> None:
    assert catalog.search_movies("MATRIX")[0].id == THE_MATRIX
    assert "Amélie" in [m.title for m in catalog.search_movies("amelie")]
    assert fold("Léon: The Professional") == "leon the professional"


def test_search_ranks_exact_titles_then_popularity(catalog: OfflineCatalog) -> None:
    found = catalog.search_movies("the matrix")
    assert found[0].id == THE_MATRIX
    assert {MATRIX_RELOADED, MATRIX_REVOLUTIONS} <= {m.id for m in found}
    rest = found[1:]
    assert [m.popularity for m in rest] == sorted((m.popularity for m in rest), reverse=True)


def test_search_matches_words_in_any_order_and_alternative_titles(catalog: OfflineCatalog) -> None:
    assert catalog.search_movies("knight dark")[0].title == "The Dark Knight"
    # MovieLens keeps original titles in parentheses: "City of Lost Children, The (Cité des ...)".
    assert "The City of Lost Children" in [m.title for m in catalog.search_movies("cité des enfants")]


def test_search_year_filter(catalog: OfflineCatalog) -> None:
    found = catalog.search_movies("matrix", year=2003)
    assert {m.id for m in found} >= {MATRIX_RELOADED, MATRIX_REVOLUTIONS}
    assert all(m.year == 2003 for m in found)
    assert catalog.search_movies("") == []


def test_person_and_keyword_search(catalog: OfflineCatalog) -> None:
    assert [p.name for p in catalog.search_people("keanu")] == ["Keanu Reeves"]
    nolan = catalog.search_people("christopher nolan")[0]
    assert nolan.known_for_department == "Directing"
    keywords = [k.name for k in catalog.search_keywords("hacker")]
    assert keywords[0] == "hacker"


def test_find_by_title(catalog: OfflineCatalog) -> None:
    found = catalog.find_by_title("the matrix")
    assert found is not None and found.id == THE_MATRIX
    assert catalog.find_by_title("The Matrix", 1998) is None


# ----------------------------------------------------------------------------------------- discover


def test_discover_with_genres_and_vs_or(catalog: OfflineCatalog) -> None:
    both = catalog.discover(DiscoverQuery(with_genres=IdFilter.parse("28,878")))
    either = catalog.discover(DiscoverQuery(with_genres=IdFilter.parse("28|878")))
    assert THE_MATRIX in both
    assert set(both) < set(either)
    assert all({ACTION, SCIENCE_FICTION} <= set(m.genre_ids) for m in movies(catalog, both))
    assert all({ACTION, SCIENCE_FICTION} & set(m.genre_ids) for m in movies(catalog, either))
    assert any(SCIENCE_FICTION not in m.genre_ids for m in movies(catalog, either))


def test_discover_without_genres(catalog: OfflineCatalog) -> None:
    found = catalog.discover(DiscoverQuery(with_genres=IdFilter.all_of(ACTION), without_genres=(DRAMA,)))
    assert found
    assert all(ACTION in m.genre_ids and DRAMA not in m.genre_ids for m in movies(catalog, found))


def test_discover_release_date_bounds(catalog: OfflineCatalog) -> None:
    query = DiscoverQuery(release_date_gte="1995-01-01", release_date_lte="1999-12-31")
    found = movies(catalog, catalog.discover(query))
    assert found and THE_MATRIX in {m.id for m in found}
    assert all("1995-01-01" <= m.release_date <= "1999-12-31" for m in found)
    everything = catalog.discover(DiscoverQuery())
    assert len(found) < len(everything)
    in_1999 = movies(catalog, catalog.discover(DiscoverQuery(year=1999)))
    assert in_1999 and all(m.year == 1999 for m in in_1999)


def test_discover_runtime_and_votes(catalog: OfflineCatalog) -> None:
    query = DiscoverQuery(runtime_gte=100, runtime_lte=120, vote_count_gte=1000, vote_average_gte=7.0)
    found = movies(catalog, catalog.discover(query))
    assert found
    for m in found:
        assert m.runtime is not None and 100 <= m.runtime <= 120
        assert m.vote_count >= 1000 and m.vote_average >= 7.0
    assert THE_MATRIX not in {m.id for m in found}  # 136 minutes


def test_discover_with_people_returns_only_their_movies(catalog: OfflineCatalog) -> None:
    nolan = person_id(catalog, "Christopher Nolan")
    found = catalog.discover(DiscoverQuery(with_people=IdFilter.all_of(nolan)))
    person = catalog.person(nolan)
    assert person is not None
    assert set(found) == set(person.movie_ids) and len(found) >= 5
    credited = [{*m.cast_ids, *(c.person_id for c in m.crew)} for m in movies(catalog, found)]
    assert all(nolan in people for people in credited)


def test_discover_with_cast_vs_with_crew(catalog: OfflineCatalog) -> None:
    eastwood = person_id(catalog, "Clint Eastwood")
    acted = catalog.discover(DiscoverQuery(with_cast=IdFilter.all_of(eastwood)))
    directed = catalog.discover(DiscoverQuery(with_crew=IdFilter.all_of(eastwood)))
    assert acted and directed and set(acted) != set(directed)
    assert all(eastwood in m.cast_ids for m in movies(catalog, acted))
    assert all(eastwood in {c.person_id for c in m.crew} for m in movies(catalog, directed))
    either = catalog.discover(DiscoverQuery(with_people=IdFilter.all_of(eastwood)))
    assert set(either) == set(acted) | set(directed)


def test_discover_people_and_or(catalog: OfflineCatalog) -> None:
    keanu = person_id(catalog, "Keanu Reeves")
    fishburne = person_id(catalog, "Laurence Fishburne")
    nolan = person_id(catalog, "Christopher Nolan")
    together = catalog.discover(DiscoverQuery(with_people=IdFilter.parse(f"{keanu},{fishburne}")))
    assert THE_MATRIX in together
    assert catalog.discover(DiscoverQuery(with_people=IdFilter.parse(f"{keanu},{nolan}"))) == ()
    either = catalog.discover(DiscoverQuery(with_people=IdFilter.parse(f"{keanu}|{nolan}")))
    assert THE_MATRIX in either and len(either) > len(together)


def test_discover_with_keywords(catalog: OfflineCatalog) -> None:
    hacker = catalog.search_keywords("hacker")[0]
    found = movies(catalog, catalog.discover(DiscoverQuery(with_keywords=IdFilter.all_of(hacker.id))))
    assert found and all(hacker.id in m.keyword_ids for m in found)
    excluded = catalog.discover(DiscoverQuery(without_keywords=(hacker.id,)))
    assert not set(m.id for m in found) & set(excluded)


def test_discover_original_language(catalog: OfflineCatalog) -> None:
    french = movies(catalog, catalog.discover(DiscoverQuery(original_languages=("fr",))))
    assert french and all(m.original_language == "fr" for m in french)


def test_discover_watch_providers_match_nothing_offline(catalog: OfflineCatalog) -> None:
    assert catalog.discover(DiscoverQuery(with_watch_providers=True)) == ()


@pytest.mark.parametrize("field", SORT_FIELDS)
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_discover_sort_orders_are_really_sorted(catalog: OfflineCatalog, field: str, direction: str) -> None:
    found = movies(catalog, catalog.discover(DiscoverQuery(sort_by=f"{field}.{direction}")))
    assert len(found) == catalog.movie_count

    def value(m: Movie) -> object:
        if field.endswith("release_date"):
            return m.release_date
        if field in ("title", "original_title"):
            return fold(getattr(m, field))
        return getattr(m, field)

    if field.endswith("release_date"):
        # Undated movies go last in both directions.
        dated = [m for m in found if m.release_date]
        assert all(not m.release_date for m in found[len(dated) :])
        found = dated
    values = [value(m) for m in found]
    assert values == sorted(values, reverse=direction == "desc")


def test_discover_unknown_sort_falls_back_to_popularity(catalog: OfflineCatalog) -> None:
    assert catalog.discover(DiscoverQuery(sort_by="nonsense.desc")) == catalog.popular()


def test_id_filter_parsing() -> None:
    assert IdFilter.parse("28,12") == IdFilter((28, 12), True)
    assert IdFilter.parse("28|12") == IdFilter((28, 12), False)
    assert IdFilter.parse("") is None and IdFilter.parse("abc") is None


# -------------------------------------------------------------------------------------------- lists


def test_popular_is_popularity_ordered(catalog: OfflineCatalog) -> None:
    pops = [m.popularity for m in catalog.movies(catalog.popular())]
    assert pops == sorted(pops, reverse=True)


def test_top_rated_has_a_vote_floor(catalog: OfflineCatalog) -> None:
    top = catalog.movies(catalog.top_rated())
    assert top and all(m.vote_count >= TOP_RATED_MIN_VOTES for m in top)
    averages = [m.vote_average for m in top]
    assert averages == sorted(averages, reverse=True)


def test_now_playing_and_upcoming_are_windows_at_the_end_of_the_data(catalog: OfflineCatalog) -> None:
    playing = catalog.now_playing()
    assert playing.maximum == catalog.reference_date
    dates = [m.release_date for m in catalog.movies(playing.movie_ids)]
    assert dates and all(playing.minimum <= d <= playing.maximum for d in dates)
    assert dates == sorted(dates, reverse=True)
    assert catalog.upcoming().movie_ids


def test_trending_windows(catalog: OfflineCatalog) -> None:
    assert catalog.trending("week") == catalog.popular()
    assert sorted(catalog.trending("day")) == sorted(catalog.popular())


def test_similar_and_recommendations(catalog: OfflineCatalog) -> None:
    similar = catalog.similar(THE_MATRIX)
    assert {MATRIX_RELOADED, MATRIX_REVOLUTIONS} <= set(similar[:5])
    assert THE_MATRIX not in similar and 0 < len(similar) <= 20
    recommended = catalog.recommendations(THE_MATRIX)
    assert set(recommended) == set(similar)
    pops = [m.popularity for m in catalog.movies(recommended)]
    assert pops == sorted(pops, reverse=True)
    assert catalog.similar(-1) == ()


# ---------------------------------------------------------------------------------------- the build


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_catalog", REPO / "scripts" / "build_catalog.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_catalog"] = module  # dataclasses look the module up while building
    spec.loader.exec_module(module)
    return module


def test_build_title_helpers() -> None:
    build = _build_script()
    assert build.split_movielens_title("Matrix, The (1999)") == ("The Matrix", [], 1999)
    assert build.split_movielens_title("City of Lost Children, The (Cité des enfants perdus, La) (1995)") == (
        "The City of Lost Children",
        ["La Cité des enfants perdus"],
        1995,
    )
    assert build.split_movielens_title("Babylon 5") == ("Babylon 5", [], None)
    assert build.title_key("Matrix, The") == build.title_key("The Matrix") == "matrix"
    assert build.title_key("Léon") == build.title_key("leon")
    assert build.MOVIELENS_GENRES["Sci-Fi"] == SCIENCE_FICTION
    assert build.MOVIELENS_GENRES["Film-Noir"] == CRIME
    assert build.MOVIELENS_GENRES["IMAX"] is None


@pytest.mark.skipif(not DATASETS.is_dir(), reason="datasets not available")
def test_shipped_catalog_is_a_deterministic_build_of_the_datasets(tmp_path: Path) -> None:
    build = _build_script()
    out = tmp_path / "catalog.json.gz"
    build.build(DATASETS, out)
    shipped = resources.files("reelgraph.integrations").joinpath("catalog_data").joinpath("catalog.json.gz")
    assert out.read_bytes() == shipped.read_bytes()
    attribution = (tmp_path / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "This product uses the TMDB API but is not endorsed or certified by TMDB." in attribution
    assert "F. Maxwell Harper and Joseph A. Konstan. 2015." in attribution
