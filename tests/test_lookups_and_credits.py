"""IMDb lookups, external ids and person credits, offline and against the mock upstream."""

from __future__ import annotations

from reelgraph.config import Settings
from reelgraph.integrations.mock_upstream import create_tmdb_app
from tests.catalog_fixtures import MATRIX, MATRIX_IMDB, Switch, catalog, isolated_app

FIND_PATH = f"/3/find/{MATRIX_IMDB}"


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
