"""Library resolvers: the viewer's mutations and the library fields of Movie and User."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from reelgraph.auth.viewer import Viewer
from reelgraph.errors import BadUserInput, Forbidden, UserErrors
from reelgraph.persistence import library as repo
from reelgraph.persistence.models import InteractionRow, RatingRow, ReviewRow, WatchEventRow
from reelgraph.schema.errors import UserError
from reelgraph.schema.pagination import check_first, decode_cursor, encode_cursor
from reelgraph.schema.types.catalog import GenreType, MovieType, PersonType
from reelgraph.schema.types.library import (
    InteractionConnection,
    InteractionKind,
    InteractionPayload,
    InteractionType,
    Preferences,
    PreferencesInput,
    PreferencesPayload,
    RatingConnection,
    RatingPayload,
    RatingType,
    ReviewConnection,
    ReviewPayload,
    ReviewType,
    UserStats,
    WatchEventConnection,
    WatchEventType,
    load_movie,
)
from reelgraph.schema.types.payloads import OkPayload


async def _movie_after_change(info: Info, movie_id: int) -> MovieType:
    info.context.loaders.library.forget()
    return await load_movie(info, movie_id)


# -- mutations ------------------------------------------------------------------------------------


async def set_interaction(info: Info, movie_id: int, kind: InteractionKind) -> InteractionPayload:
    viewer = await info.context.require_viewer()
    try:
        result = await info.context.services.library.set_interaction(viewer.id, movie_id, kind.value)
    except UserErrors as errors:
        return InteractionPayload(errors=UserError.from_errors(errors))
    interaction = InteractionType.from_row(result.interaction) if result.interaction else None
    return InteractionPayload(interaction=interaction, movie=await _movie_after_change(info, movie_id))


async def remove_interaction(info: Info, movie_id: int, kind: InteractionKind) -> InteractionPayload:
    viewer = await info.context.require_viewer()
    try:
        await info.context.services.library.remove_interaction(viewer.id, movie_id, kind.value)
    except UserErrors as errors:
        return InteractionPayload(errors=UserError.from_errors(errors))
    return InteractionPayload(movie=await _movie_after_change(info, movie_id))


async def rate_movie(info: Info, movie_id: int, value: float) -> RatingPayload:
    viewer = await info.context.require_viewer()
    try:
        rating = await info.context.services.library.rate(viewer.id, movie_id, value)
    except UserErrors as errors:
        return RatingPayload(errors=UserError.from_errors(errors))
    info.context.loaders.library.forget()
    return RatingPayload(
        rating=RatingType(value=rating.value, created_at=rating.created_at, _movie_id=movie_id)
    )


async def remove_rating(info: Info, movie_id: int) -> OkPayload:
    viewer = await info.context.require_viewer()
    try:
        await info.context.services.library.remove_rating(viewer.id, movie_id)
    except UserErrors as errors:
        return OkPayload(ok=False, errors=UserError.from_errors(errors))
    info.context.loaders.library.forget()
    return OkPayload(ok=True)


def review_pk(global_id: strawberry.ID) -> int:
    try:
        parsed = relay.GlobalID.from_id(global_id)
    except Exception as exc:
        raise BadUserInput("'id' is not a valid id.", field="id") from exc
    if parsed.type_name != "Review" or not parsed.node_id.isdigit():
        raise BadUserInput("'id' is not a review id.", field="id")
    return int(parsed.node_id)


async def create_review(info: Info, movie_id: int, body: str, rating: float | None = None) -> ReviewPayload:
    viewer = await info.context.require_viewer()
    try:
        review = await info.context.services.library.create_review(viewer.id, movie_id, body, rating)
    except UserErrors as errors:
        return ReviewPayload(errors=UserError.from_errors(errors))
    return ReviewPayload(review=ReviewType.from_row(review))


async def update_review(
    info: Info, id: strawberry.ID, body: str | None = None, rating: float | None = None
) -> ReviewPayload:
    viewer = await info.context.require_viewer()
    try:
        review = await info.context.services.library.update_review(viewer.id, review_pk(id), body, rating)
    except UserErrors as errors:
        return ReviewPayload(errors=UserError.from_errors(errors))
    return ReviewPayload(review=ReviewType.from_row(review))


async def delete_review(info: Info, id: strawberry.ID) -> OkPayload:
    viewer = await info.context.require_viewer()
    try:
        await info.context.services.library.delete_review(viewer.id, viewer.roles, review_pk(id))
    except UserErrors as errors:
        return OkPayload(ok=False, errors=UserError.from_errors(errors))
    return OkPayload(ok=True)


async def track_view(info: Info, movie_id: int) -> OkPayload:
    viewer = await info.context.viewer()
    try:
        await info.context.services.library.track_view(
            viewer.id if viewer else None, info.context.client_ip, movie_id
        )
    except UserErrors as errors:
        return OkPayload(ok=False, errors=UserError.from_errors(errors))
    return OkPayload(ok=True)


async def update_preferences(info: Info, input: PreferencesInput) -> PreferencesPayload:
    viewer = await info.context.require_viewer()
    changes = {
        "favorite_genres": input.favorite_genres,
        "disliked_genres": input.disliked_genres,
        "favorite_people": input.favorite_people,
        "favorite_movies": input.favorite_movies,
    }
    language = await info.context.language(None)
    try:
        await info.context.services.library.update_preferences(viewer.id, changes, language)
    except UserErrors as errors:
        return PreferencesPayload(errors=UserError.from_errors(errors))
    return PreferencesPayload(preferences=await preferences(info, viewer.id))


# -- User fields ---------------------------------------------------------------------------------


async def _owner_or_admin(info: Info, user_id: int) -> Viewer:
    viewer = await info.context.require_viewer()
    if viewer.id != user_id and not viewer.has_role("ADMIN"):
        raise Forbidden("Only the user themself and admins can see this.")
    return viewer


async def preferences(info: Info, user_id: int) -> Preferences:
    await _owner_or_admin(info, user_id)
    found = await info.context.services.library.preferences(user_id)
    language = await info.context.language(None)
    names = await info.context.loaders.catalog.genre_names.load(language)

    def genres(kind: str) -> list[GenreType]:
        return [
            GenreType(tmdb_id=g, name=names.get(g, str(g)), _language=language) for g in found.get(kind, [])
        ]

    people = await info.context.loaders.catalog.person.load_many(
        [(p, language) for p in found.get("FAVORITE_PERSON", [])]
    )
    return Preferences(
        favorite_genres=genres("FAVORITE_GENRE"),
        disliked_genres=genres("DISLIKED_GENRE"),
        favorite_people=[PersonType.from_tmdb(p, language, details=True) for p in people if p],
        favorite_movies=[await load_movie(info, m) for m in found.get("FAVORITE_MOVIE", [])],
    )


async def _page(
    info: Info, model: type, conditions: list[Any], first: int | None, after: str | None, cursor_kind: str
) -> tuple[list[Any], bool, bool, int]:
    limit = check_first(20 if first is None else first)
    before_id = decode_cursor(after, cursor_kind)
    async with info.context.services.sessions() as session:
        rows, total = await repo.page_newest_first(session, model, conditions, before_id, limit + 1)
    return rows[:limit], len(rows) > limit, before_id is not None, total


async def interactions(
    info: Info, user_id: int, kind: InteractionKind | None, first: int | None, after: str | None
) -> InteractionConnection:
    await _owner_or_admin(info, user_id)
    conditions = [InteractionRow.user_id == user_id]
    if kind is not None:
        conditions.append(InteractionRow.kind == kind.value)
    rows, has_next, has_previous, total = await _page(
        info, InteractionRow, conditions, first, after, "interaction"
    )
    pairs = [(encode_cursor("interaction", row.id), InteractionType.from_row(row)) for row in rows]
    return InteractionConnection.of(pairs, has_next, has_previous, total)


async def ratings(info: Info, user_id: int, first: int | None, after: str | None) -> RatingConnection:
    await _owner_or_admin(info, user_id)
    rows, has_next, has_previous, total = await _page(
        info, RatingRow, [RatingRow.user_id == user_id], first, after, "rating"
    )
    pairs = [
        (
            encode_cursor("rating", row.id),
            RatingType(value=row.value, created_at=row.created_at, _movie_id=row.movie_id),
        )
        for row in rows
    ]
    return RatingConnection.of(pairs, has_next, has_previous, total)


async def user_reviews(info: Info, user_id: int, first: int | None, after: str | None) -> ReviewConnection:
    # Reviews are public: anyone may read what someone wrote.
    rows, has_next, has_previous, total = await _page(
        info, ReviewRow, [ReviewRow.user_id == user_id], first, after, "review"
    )
    return ReviewConnection.of(
        [(encode_cursor("review", row.id), ReviewType.from_row(row)) for row in rows],
        has_next,
        has_previous,
        total,
    )


async def movie_reviews(info: Info, movie_id: int, first: int | None, after: str | None) -> ReviewConnection:
    rows, has_next, has_previous, total = await _page(
        info, ReviewRow, [ReviewRow.movie_id == movie_id], 10 if first is None else first, after, "review"
    )
    return ReviewConnection.of(
        [(encode_cursor("review", row.id), ReviewType.from_row(row)) for row in rows],
        has_next,
        has_previous,
        total,
    )


async def watch_history(
    info: Info, user_id: int, first: int | None, after: str | None
) -> WatchEventConnection:
    await _owner_or_admin(info, user_id)
    rows, has_next, has_previous, total = await _page(
        info, WatchEventRow, [WatchEventRow.user_id == user_id], first, after, "watch"
    )
    pairs = [
        (encode_cursor("watch", row.id), WatchEventType(watched_at=row.watched_at, _movie_id=row.movie_id))
        for row in rows
    ]
    return WatchEventConnection.of(pairs, has_next, has_previous, total)


async def stats(info: Info, user_id: int) -> UserStats:
    await _owner_or_admin(info, user_id)
    found = await info.context.services.library.stats(user_id, 0)
    return UserStats(
        seen_count=found["seen"],
        watch_later_count=found["watch_later"],
        ratings_count=found["ratings"],
        average_rating=round(found["average_rating"], 2) if found["average_rating"] is not None else None,
        minutes_watched=found["minutes"],
        _user_id=user_id,
    )


async def top_genres(info: Info, user_id: int, first: int) -> list[GenreType]:
    if not 0 <= first <= 19:
        raise BadUserInput("'first' must be between 0 and 19.", field="first")
    found = await info.context.services.library.stats(user_id, first)
    language = await info.context.language(None)
    names = await info.context.loaders.catalog.genre_names.load(language)
    return [GenreType(tmdb_id=g, name=names.get(g, str(g)), _language=language) for g in found["top_genres"]]


# -- nodes ----------------------------------------------------------------------------------------


async def interaction_nodes(info: Info, node_ids: list[str]) -> list[Any]:
    viewer = await info.context.viewer()
    ids = [int(i) for i in node_ids if i.isdigit()]
    async with info.context.services.sessions() as session:
        rows = {
            row.id: row
            for row in (
                await session.execute(select(InteractionRow).where(InteractionRow.id.in_(ids)))
            ).scalars()
        }

    def visible(row: InteractionRow | None) -> bool:
        return (
            row is not None and viewer is not None and (viewer.id == row.user_id or viewer.has_role("ADMIN"))
        )

    return [
        InteractionType.from_row(rows[int(i)]) if i.isdigit() and visible(rows.get(int(i))) else None
        for i in node_ids
    ]


async def review_nodes(info: Info, node_ids: list[str]) -> list[Any]:
    ids = [int(i) for i in node_ids if i.isdigit()]
    async with info.context.services.sessions() as session:
        rows = {
            row.id: row
            for row in (await session.execute(select(ReviewRow).where(ReviewRow.id.in_(ids)))).scalars()
        }
    return [ReviewType.from_row(rows[int(i)]) if i.isdigit() and int(i) in rows else None for i in node_ids]
