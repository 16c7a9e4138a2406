"""trending(source: COMMUNITY): this server's own trending list, ranked by the community-trending
job from views by distinct viewers, ratings and interactions with recency decay, hidden movies
left out like every list, TMDb's list standing in when there is too little activity."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reelgraph.config import Settings
from reelgraph.jobs.registry import JobContext, registered_jobs
from reelgraph.persistence.engine import write_transaction
from reelgraph.persistence.migrate import upgrade_to_head
from reelgraph.persistence.models import WatchEventRow
from tests.catalog_fixtures import Isolated, isolated_app
from tests.library_fixtures import Member, member, rate, set_kind

COMMUNITY = """
query($first: Int, $after: String, $window: TimeWindow) {
  trending(source: COMMUNITY, window: $window, first: $first, after: $after) {
    source totalCount nodes { tmdbId } pageInfo { hasNextPage endCursor }
  }
}"""
VIEW = "mutation($m: Int!) { trackView(movieId: $m) { ok } }"
MATRIX, FIGHT_CLUB, INCEPTION, GODFATHER, PULP_FICTION = 603, 550, 27205, 238, 680


@pytest.fixture
async def env(settings: Settings, tmp_path: Path) -> AsyncIterator[Isolated]:
    # A database of its own: the ranking reads every signal, and other tests leave theirs.
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'community.db'}"
    await asyncio.to_thread(upgrade_to_head, database_url)
    async with isolated_app(
        settings,
        database_url=database_url,
        community_trending_min_viewers=3,
        community_trending_min_movies=2,
    ) as isolated:
        yield isolated


async def rank(env: Isolated) -> None:
    services = env.app.state.services
    await registered_jobs()["community-trending"].body(JobContext(services, job_id="test"))


async def viewed(env: Isolated, user: Member, movie: int) -> None:
    body = await env.gql(VIEW, {"m": movie}, user.token)
    assert body["data"]["trackView"]["ok"] is True, body


async def views_at(env: Isolated, user: Member, movie: int, times: list[datetime]) -> None:
    """Watch events as if recorded at `times` (the API keeps one per 30 minutes)."""
    services = env.app.state.services
    await services.reader.movie(movie, "en-US")  # mirrored, as a view through the API does
    await services.reader.mirror.flush()
    async with write_transaction(env.app.state.services.sessions) as session:
        session.add_all([WatchEventRow(user_id=user.pk, movie_id=movie, watched_at=at) for at in times])


async def community(env: Isolated, user: Member | None = None, **variables: Any) -> dict[str, Any]:
    body = await env.gql(COMMUNITY, variables, user.token if user else None)
    assert "errors" not in body, body
    return body["data"]["trending"]  # type: ignore[no-any-return]


def ids(connection: dict[str, Any]) -> list[int]:
    return [node["tmdbId"] for node in connection["nodes"]]


async def test_movies_viewed_by_more_distinct_viewers_rank_higher(env: Isolated) -> None:
    ann, bob, cid, dan = [await member(env.gql, name=name) for name in ("Ann", "Bob", "Cid", "Dan")]
    for user in (ann, bob, cid, dan):
        await viewed(env, user, FIGHT_CLUB)
    for user in (ann, bob, cid):
        await viewed(env, user, MATRIX)
    await rate(env.gql, ann, INCEPTION, 5)
    await set_kind(env.gql, bob, INCEPTION, "LIKED")
    await rate(env.gql, cid, INCEPTION, 0.5)  # a rating's value counts: a poor one weighs less
    for user in (ann, bob):  # two viewers: under the minimum of three, never ranked
        await viewed(env, user, GODFATHER)
    await rank(env)

    listed = await community(env)
    assert listed["source"] == "COMMUNITY"
    assert ids(listed) == [FIGHT_CLUB, MATRIX, INCEPTION]
    assert listed["totalCount"] == 3


async def test_one_viewer_viewing_a_hundred_times_does_not_move_a_movie(env: Isolated) -> None:
    ann, bob, cid, dan = [await member(env.gql, name=name) for name in ("Ann", "Bob", "Cid", "Dan")]
    for user in (ann, bob, cid):
        await viewed(env, user, MATRIX)
        await viewed(env, user, FIGHT_CLUB)
    await viewed(env, dan, FIGHT_CLUB)  # Fight Club: four viewers, The Matrix three
    for user in (ann, bob):
        await viewed(env, user, PULP_FICTION)
    await rank(env)
    before = ids(await community(env))
    assert before == [FIGHT_CLUB, MATRIX]

    now = datetime.now(UTC)
    # Ann views The Matrix and Pulp Fiction 100 more times in the last hour: still one viewer each.
    for movie in (MATRIX, PULP_FICTION):
        await views_at(env, ann, movie, [now - timedelta(seconds=30 * i) for i in range(1, 101)])
    await rank(env)
    assert ids(await community(env)) == before


async def test_older_activity_weighs_less_and_leaves_the_day_list(env: Isolated) -> None:
    users = [await member(env.gql, name=f"U{i}") for i in range(5)]
    ten_days_ago = datetime.now(UTC) - timedelta(days=10)
    for user in users:  # five viewers, ten days ago
        await views_at(env, user, GODFATHER, [ten_days_ago])
    for user in users[:3]:  # three viewers, now
        await viewed(env, user, MATRIX)
        await viewed(env, user, FIGHT_CLUB)
    await rank(env)
    # A week's half-life: five viewers ten days ago weigh 5 x 0.37, under three viewers today.
    assert ids(await community(env, window="WEEK")) == [FIGHT_CLUB, MATRIX, GODFATHER]
    # A day's half-life reads four days back: ten days ago is gone.
    assert ids(await community(env, window="DAY")) == [FIGHT_CLUB, MATRIX]


async def test_the_viewers_hidden_movies_are_left_out_and_paging_serves_each_once(env: Isolated) -> None:
    users = [await member(env.gql, name=f"U{i}") for i in range(3)]
    movies = [MATRIX, FIGHT_CLUB, INCEPTION, GODFATHER, PULP_FICTION]
    for user in users:
        for movie in movies:
            await viewed(env, user, movie)
    await rank(env)
    everyone = ids(await community(env, first=50))
    assert sorted(everyone) == sorted(movies)

    paged: list[int] = []
    after = None
    while True:
        page = await community(env, first=2, after=after)
        paged += ids(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == everyone  # every movie once, in order

    viewer = users[0]
    await set_kind(env.gql, viewer, everyone[0], "SEEN")
    await set_kind(env.gql, viewer, everyone[1], "NOT_INTERESTED")
    mine = ids(await community(env, viewer, first=50))
    assert everyone[0] not in mine and everyone[1] not in mine
    assert mine == [m for m in everyone if m not in everyone[:2]] or set(mine) == set(everyone[2:])


async def test_too_little_activity_falls_back_to_tmdb_and_says_so(env: Isolated) -> None:
    ann = await member(env.gql)
    await viewed(env, ann, MATRIX)
    await rank(env)
    fallback = await community(env, first=5)
    assert fallback["source"] == "TMDB" and len(fallback["nodes"]) == 5
    tmdb = await env.gql("{ trending(first: 5) { source nodes { tmdbId } } }")
    assert tmdb["data"]["trending"]["source"] == "TMDB"
    assert ids(tmdb["data"]["trending"]) == ids(fallback)
    other = await env.gql("{ movies(list: POPULAR, first: 1) { source } }")
    assert other["data"]["movies"]["source"] is None


async def test_the_ranking_runs_on_the_shared_database_backend(settings: Settings) -> None:
    # The suite's own database (PostgreSQL in CI's second pass): the signals' SQL runs there too.
    # Ranked a year ahead, today's activity of other tests is past the horizon: nothing ranks.
    async with isolated_app(settings) as shared:
        services = shared.app.state.services
        sizes = await services.community.recompute(now=datetime.now(UTC) + timedelta(days=365))
        assert sizes == {"day": 0, "week": 0}
        fallback = await community(shared, first=3)
        assert fallback["source"] == "TMDB" and len(fallback["nodes"]) == 3
        await rank(shared)  # and the job, today: whatever it ranks, the list answers
        assert len((await community(shared, first=3))["nodes"]) == 3
