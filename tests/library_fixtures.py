"""Shared pieces of the library HTTP tests: mutations, a user helper and database counts.

The session database is shared with other test files, so every test registers its own users, and
tests that look at per-movie aggregates (reviews, average ratings, anonymous views, the mirror) use
movies of the offline catalog that no other test touches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from starlette.applications import Starlette
from strawberry.relay import GlobalID

from reelgraph.persistence.models import (
    InteractionRow,
    PreferenceRow,
    RatingRow,
    RefreshTokenRow,
    ReviewRow,
    UserRoleRow,
    WatchEventRow,
)
from tests.helpers import GraphQLClient, register

UNKNOWN_MOVIE = 99_999_999
KINDS = ("SEEN", "WATCH_LATER", "NOT_INTERESTED", "LIKED", "FAVORITE")

SET = """
mutation Set($movie: Int!, $kind: InteractionKind!) {
  setInteraction(movieId: $movie, kind: $kind) {
    interaction { id kind createdAt movie { tmdbId } }
    movie { tmdbId viewerInteractions viewerRating }
    errors { field message code }
  }
}
"""
REMOVE = """
mutation Remove($movie: Int!, $kind: InteractionKind!) {
  removeInteraction(movieId: $movie, kind: $kind) {
    interaction { id }
    movie { tmdbId viewerInteractions viewerRating }
    errors { field message code }
  }
}
"""
RATE = """
mutation Rate($movie: Int!, $value: Float!) {
  rateMovie(movieId: $movie, value: $value) {
    rating { value createdAt movie { tmdbId } }
    errors { field message code }
  }
}
"""
UNRATE = "mutation($movie: Int!) { removeRating(movieId: $movie) { ok errors { field code } } }"
VIEWER_STATE = "query($movie: Int!) { movie(tmdbId: $movie) { viewerInteractions viewerRating } }"


@dataclass
class Member:
    """A registered user: token, global id and primary key."""

    token: str
    id: str
    pk: int
    refresh_token: str


async def member(gql: GraphQLClient, name: str = "Ann") -> Member:
    session = await register(gql, name=name)
    user_id = session["user"]["id"]
    return Member(
        session["accessToken"], user_id, int(GlobalID.from_id(user_id).node_id), session["refreshToken"]
    )


async def promoted(gql: GraphQLClient, app: Starlette, role: str, name: str = "Staff") -> Member:
    user = await member(gql, name=name)
    await app.state.services.admin.assign_role(user.pk, role)
    return user


async def set_kind(gql: GraphQLClient, user: Member, movie: int, kind: str) -> dict[str, Any]:
    body = await gql(SET, {"movie": movie, "kind": kind}, token=user.token)
    assert "errors" not in body, body
    return body["data"]["setInteraction"]  # type: ignore[no-any-return]


async def remove_kind(gql: GraphQLClient, user: Member, movie: int, kind: str) -> dict[str, Any]:
    body = await gql(REMOVE, {"movie": movie, "kind": kind}, token=user.token)
    assert "errors" not in body, body
    return body["data"]["removeInteraction"]  # type: ignore[no-any-return]


async def rate(gql: GraphQLClient, user: Member, movie: int, value: float) -> dict[str, Any]:
    body = await gql(RATE, {"movie": movie, "value": value}, token=user.token)
    assert "errors" not in body, body
    return body["data"]["rateMovie"]  # type: ignore[no-any-return]


async def viewer_state(gql: GraphQLClient, user: Member, movie: int) -> tuple[list[str], float | None]:
    body = await gql(VIEWER_STATE, {"movie": movie}, token=user.token)
    assert "errors" not in body, body
    found = body["data"]["movie"]
    return sorted(found["viewerInteractions"]), found["viewerRating"]


def rule_violations(kinds: list[str] | set[str]) -> list[str]:
    """What is wrong with one user's set of kinds on one movie (empty when the rules hold)."""
    problems = []
    if len(set(kinds)) != len(list(kinds)):
        problems.append(f"duplicate kinds {sorted(kinds)}")
    if {"SEEN", "WATCH_LATER"} <= set(kinds):
        problems.append("SEEN with WATCH_LATER")
    if "NOT_INTERESTED" in kinds and set(kinds) & {"LIKED", "FAVORITE", "WATCH_LATER"}:
        problems.append(f"NOT_INTERESTED with {sorted(set(kinds) & {'LIKED', 'FAVORITE', 'WATCH_LATER'})}")
    return problems


USER_TABLES = {
    "interactions": InteractionRow,
    "ratings": RatingRow,
    "reviews": ReviewRow,
    "watch_events": WatchEventRow,
    "preferences": PreferenceRow,
    "refresh_tokens": RefreshTokenRow,
    "user_roles": UserRoleRow,
}


async def rows_of_user(app: Starlette, user_pk: int) -> dict[str, int]:
    """How many rows each per-user table holds for this user."""
    counts = {}
    async with app.state.services.sessions() as session:
        for name, model in USER_TABLES.items():
            query = select(func.count()).select_from(model).where(model.user_id == user_pk)  # type: ignore[attr-defined]
            counts[name] = (await session.execute(query)).scalar_one()
    return counts


async def interaction_rows(app: Starlette, user_pk: int, movie: int) -> list[str]:
    """The kinds stored for one user and movie, duplicates included."""
    async with app.state.services.sessions() as session:
        rows = await session.execute(
            select(InteractionRow.kind).where(
                InteractionRow.user_id == user_pk, InteractionRow.movie_id == movie
            )
        )
        return sorted(rows.scalars())


async def rating_rows(app: Starlette, user_pk: int, movie: int) -> list[float]:
    async with app.state.services.sessions() as session:
        rows = await session.execute(
            select(RatingRow.value).where(RatingRow.user_id == user_pk, RatingRow.movie_id == movie)
        )
        return list(rows.scalars())
