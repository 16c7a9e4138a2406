"""Concurrent library writes over HTTP leave a consistent state, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import func, select
from starlette.applications import Starlette

from reelgraph.persistence.models import MovieGenreRow, MovieRow, WatchEventRow
from tests.helpers import GraphQLClient
from tests.library_fixtures import (
    RATE,
    REMOVE,
    SET,
    interaction_rows,
    member,
    rating_rows,
    rule_violations,
    viewer_state,
)

CONTESTED = 9311  # Smilla's Sense of Snow: only this file touches it
SHARED_FIRST_TOUCH = 9616  # The Order: first touched here, by many users at once
CONCURRENTLY_VIEWED = 9770  # Mad City
RATINGS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)


def operations() -> list[tuple[str, dict[str, Any]]]:
    """50 calls by one user on one movie: every kind set and removed, ratings of every value.

    removeInteraction never removes SEEN here, so that "a rated movie is SEEN" holds at the end.
    """
    sets = ["SEEN", "WATCH_LATER", "NOT_INTERESTED", "LIKED", "FAVORITE", "WATCH_LATER", "LIKED"]
    removals = ["WATCH_LATER", "NOT_INTERESTED", "LIKED", "FAVORITE"]
    calls: list[tuple[str, dict[str, Any]]] = []
    for i in range(50):
        if i % 5 in (0, 2):
            calls.append(("set", {"kind": sets[i % len(sets)]}))
        elif i % 5 == 1:
            calls.append(("rate", {"value": RATINGS[i % len(RATINGS)]}))
        elif i % 5 == 3:
            calls.append(("remove", {"kind": removals[i % len(removals)]}))
        else:
            calls.append(("rate", {"value": RATINGS[(i * 3) % len(RATINGS)]}))
    return calls


async def test_fifty_concurrent_calls_by_one_user_on_one_movie(gql: GraphQLClient, app: Starlette) -> None:
    user = await member(gql, name="Busy")
    calls = operations()
    queries = {"set": SET, "remove": REMOVE, "rate": RATE}
    raw = await asyncio.gather(
        *(
            gql.http.post(
                "/graphql",
                json={"query": queries[name], "variables": {"movie": CONTESTED, **variables}},
                headers={"authorization": f"Bearer {user.token}"},
            )
            for name, variables in calls
        )
    )

    sent_ratings = {variables["value"] for name, variables in calls if name == "rate"}
    for (name, variables), response in zip(calls, raw, strict=True):
        text = response.text
        assert response.status_code == 200, text
        assert "database is locked" not in text and "INTERNAL_SERVER_ERROR" not in text, text
        body = json.loads(text)
        assert "errors" not in body, body
        if name == "rate":
            payload = body["data"]["rateMovie"]
            assert payload["errors"] == [], payload
            assert payload["rating"]["value"] == variables["value"]
            continue
        payload = body["data"]["setInteraction" if name == "set" else "removeInteraction"]
        if payload["errors"]:
            # The only refusal possible here: WATCH_LATER once the movie is SEEN.
            assert (name, variables["kind"]) == ("set", "WATCH_LATER"), payload
            assert [e["code"] for e in payload["errors"]] == ["ALREADY_SEEN"], payload
            assert payload["interaction"] is None and payload["movie"] is None
            continue
        assert payload["movie"]["tmdbId"] == CONTESTED
        if name == "set":
            assert payload["interaction"]["kind"] == variables["kind"]
        # Each payload shows a committed state, and every committed state obeys the rules.
        assert rule_violations(payload["movie"]["viewerInteractions"]) == [], payload
        assert payload["movie"]["viewerRating"] is None or payload["movie"]["viewerRating"] in sent_ratings

    kinds = await interaction_rows(app, user.pk, CONTESTED)
    assert rule_violations(kinds) == [], kinds  # no duplicate rows, no forbidden pairs
    assert "SEEN" in kinds  # it was rated, and nothing here removes SEEN
    ratings = await rating_rows(app, user.pk, CONTESTED)
    assert len(ratings) == 1 and ratings[0] in sent_ratings
    assert await viewer_state(gql, user, CONTESTED) == (kinds, ratings[0])


async def test_many_users_touching_a_new_movie_at_once(gql: GraphQLClient, app: Starlette) -> None:
    async with app.state.services.sessions() as session:
        assert await session.get(MovieRow, SHARED_FIRST_TOUCH) is None  # nobody touched it yet
    users = [await member(gql, name=f"Crowd {i}") for i in range(8)]
    results = await asyncio.gather(
        *(
            gql(
                SET if i % 2 else RATE,
                {"movie": SHARED_FIRST_TOUCH, "kind": "LIKED", "value": 4.0},
                token=u.token,
            )
            for i, u in enumerate(users)
        )
    )
    for body in results:
        assert "errors" not in body, body
        payload = body["data"].get("setInteraction") or body["data"]["rateMovie"]
        assert payload["errors"] == [], payload
    genres = (await gql("{ movie(tmdbId: 9616) { genres { tmdbId } } }"))["data"]["movie"]["genres"]
    async with app.state.services.sessions() as session:
        rows = await session.execute(
            select(MovieGenreRow.genre_id)
            .where(MovieGenreRow.movie_id == SHARED_FIRST_TOUCH)
            .order_by(MovieGenreRow.position)
        )
        assert list(rows.scalars()) == [g["tmdbId"] for g in genres]
    for i, u in enumerate(users):
        assert await interaction_rows(app, u.pk, SHARED_FIRST_TOUCH) == (["LIKED"] if i % 2 else ["SEEN"])


async def test_concurrent_views_are_recorded_once(gql: GraphQLClient, app: Starlette) -> None:
    track = "mutation($movie: Int!) { trackView(movieId: $movie) { ok errors { code } } }"
    user = await member(gql)
    signed_in = await asyncio.gather(
        *(gql(track, {"movie": CONCURRENTLY_VIEWED}, token=user.token) for _ in range(10))
    )
    anonymous = await asyncio.gather(*(gql(track, {"movie": CONCURRENTLY_VIEWED}) for _ in range(10)))
    for body in [*signed_in, *anonymous]:
        assert body.get("data") == {"trackView": {"ok": True, "errors": []}}, body
    async with app.state.services.sessions() as session:
        mine = select(func.count()).where(
            WatchEventRow.movie_id == CONCURRENTLY_VIEWED, WatchEventRow.user_id == user.pk
        )
        assert (await session.execute(mine)).scalar_one() == 1
        nobody = select(func.count()).where(
            WatchEventRow.movie_id == CONCURRENTLY_VIEWED, WatchEventRow.user_id.is_(None)
        )
        assert (await session.execute(nobody)).scalar_one() == 1
