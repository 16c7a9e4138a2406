"""The viewer's library: interactions, ratings, reviews, watch history and preferences.

Each mutation is one transaction that first takes the user's write lock, so concurrent calls by
one user apply one after another and the rules below always hold:
- SEEN removes WATCH_LATER; WATCH_LATER on a SEEN movie is refused;
- NOT_INTERESTED removes LIKED, FAVORITE and WATCH_LATER; LIKED, FAVORITE and WATCH_LATER remove
  NOT_INTERESTED;
- rating a movie marks it SEEN.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.errors import FieldProblem, Forbidden, Unauthenticated, UserErrorCode, UserErrors
from reelgraph.loaders.catalog_reader import CatalogReader
from reelgraph.persistence import catalog_mirror as mirror
from reelgraph.persistence import library as repo
from reelgraph.persistence.engine import write_transaction
from reelgraph.persistence.models import InteractionRow, RatingRow, ReviewRow, WatchEventRow
from reelgraph.persistence.rollups import Tally

KINDS = ("SEEN", "WATCH_LATER", "NOT_INTERESTED", "LIKED", "FAVORITE")
# Setting the key removes these.
REMOVES = {
    "SEEN": ("WATCH_LATER",),
    "NOT_INTERESTED": ("LIKED", "FAVORITE", "WATCH_LATER"),
    "LIKED": ("NOT_INTERESTED",),
    "FAVORITE": ("NOT_INTERESTED",),
    # Wanting to watch it is interest too: never NOT_INTERESTED together with WATCH_LATER.
    "WATCH_LATER": ("NOT_INTERESTED",),
}
VIEW_DEDUP_WINDOW = timedelta(minutes=30)
MAX_REVIEW_LENGTH = 10_000
PREFERENCE_KINDS = {
    "favorite_genres": "FAVORITE_GENRE",
    "disliked_genres": "DISLIKED_GENRE",
    "favorite_people": "FAVORITE_PERSON",
    "favorite_movies": "FAVORITE_MOVIE",
}


def _now() -> datetime:
    return datetime.now(UTC)


def movie_not_found(field: str = "movieId") -> UserErrors:
    return UserErrors.one(UserErrorCode.MOVIE_NOT_FOUND, "No movie has this id.", field)


def check_rating(value: float, field: str) -> FieldProblem | None:
    if not (0.5 <= value <= 5.0) or (value * 2) != int(value * 2):
        return FieldProblem(
            UserErrorCode.INVALID_RATING, "Ratings go from 0.5 to 5.0 in steps of 0.5.", (field,)
        )
    return None


@dataclass(frozen=True)
class InteractionResult:
    interaction: InteractionRow | None
    kinds: list[str]


class LibraryService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], catalog: CatalogReader) -> None:
        self._sessions = sessions
        self._catalog = catalog

    @asynccontextmanager
    async def _write(self, user_id: int) -> AsyncIterator[AsyncSession]:
        async with write_transaction(self._sessions) as session:
            if await repo.lock_user(session, user_id) is None:
                raise Unauthenticated("Your account no longer exists.")
            yield session

    async def _known_movie(self, movie_id: int) -> dict[str, Any]:
        """The movie's details, or MOVIE_NOT_FOUND. Called before taking the write lock, so that
        an upstream call never holds the user's lock."""
        details = await self._catalog.movie(movie_id, "en-US") if movie_id > 0 else None
        if details is None:
            raise movie_not_found()
        return details

    async def _ensure_movie(self, session: AsyncSession, details: dict[str, Any]) -> None:
        """Mirrors the movie (with its genres in order) on first touch."""
        if not await repo.movie_exists(session, int(details["id"])):
            await mirror.mirror_movie(session, details, "en-US")

    # -- interactions ---------------------------------------------------------------------------

    async def set_interaction(self, user_id: int, movie_id: int, kind: str) -> InteractionResult:
        details = await self._known_movie(movie_id)
        async with self._write(user_id) as session:
            await self._ensure_movie(session, details)
            current = await repo.kinds_for(session, user_id, movie_id)
            if kind == "WATCH_LATER" and "SEEN" in current:
                raise UserErrors.one(UserErrorCode.ALREADY_SEEN, "You have already seen this movie.", "kind")
            if kind in current:
                interaction = await repo.get_interaction(session, user_id, movie_id, kind)
                return InteractionResult(interaction, sorted(current))
            tally = Tally()
            for at in await repo.remove_kinds(session, user_id, movie_id, REMOVES[kind]):
                tally.interaction(user_id, at, -1)
            added = InteractionRow(user_id=user_id, movie_id=movie_id, kind=kind, created_at=_now())
            session.add(added)
            tally.interaction(user_id, added.created_at)
            await session.flush()
            await tally.apply(session)
            # The user's lock is held, so the kinds are known without reading them back (two
            # statements fewer on the most frequent write).
            return InteractionResult(added, sorted((current - set(REMOVES[kind])) | {kind}))

    async def remove_interaction(self, user_id: int, movie_id: int, kind: str) -> InteractionResult:
        async with self._write(user_id) as session:
            if await repo.movie_exists(session, movie_id):
                tally = Tally()
                for at in await repo.remove_kinds(session, user_id, movie_id, [kind]):
                    tally.interaction(user_id, at, -1)
                await tally.apply(session)
                return InteractionResult(None, sorted(await repo.kinds_for(session, user_id, movie_id)))
        # Never mirrored, so nobody touched it: nothing to remove, but unknown ids are still errors.
        await self._known_movie(movie_id)
        return InteractionResult(None, [])

    # -- ratings --------------------------------------------------------------------------------

    async def rate(self, user_id: int, movie_id: int, value: float) -> RatingRow:
        problem = check_rating(value, "value")
        if problem:
            raise UserErrors(problem)
        details = await self._known_movie(movie_id)
        async with self._write(user_id) as session:
            await self._ensure_movie(session, details)
            tally, now = Tally(), _now()
            rating = await repo.get_rating(session, user_id, movie_id)
            if rating is None:
                rating = RatingRow(
                    user_id=user_id, movie_id=movie_id, value=value, created_at=now, updated_at=now
                )
                session.add(rating)
                tally.rating(user_id, movie_id, value, now, now)
            else:
                tally.rating_changed(user_id, movie_id, rating.value, rating.updated_at, value, now)
                rating.value = value
                rating.updated_at = now
            # Rating a movie means having seen it.
            if "SEEN" not in await repo.kinds_for(session, user_id, movie_id):
                for at in await repo.remove_kinds(session, user_id, movie_id, REMOVES["SEEN"]):
                    tally.interaction(user_id, at, -1)
                session.add(InteractionRow(user_id=user_id, movie_id=movie_id, kind="SEEN", created_at=now))
                tally.interaction(user_id, now)
            await session.flush()
            await tally.apply(session)
            return rating

    async def remove_rating(self, user_id: int, movie_id: int) -> bool:
        async with self._write(user_id) as session:
            rating = await repo.get_rating(session, user_id, movie_id)
            if rating is None:
                raise UserErrors.one(
                    UserErrorCode.RATING_NOT_FOUND, "You have not rated this movie.", "movieId"
                )
            await session.delete(rating)
            tally = Tally()
            tally.rating(user_id, movie_id, rating.value, rating.created_at, rating.updated_at, -1)
            await tally.apply(session)
            return True

    # -- reviews --------------------------------------------------------------------------------

    def _check_review(self, body: str | None, rating: float | None) -> None:
        problems = []
        if body is not None and not body.strip():
            problems.append(FieldProblem(UserErrorCode.EMPTY_REVIEW, "A review needs some text.", ("body",)))
        if body is not None and len(body) > MAX_REVIEW_LENGTH:
            problems.append(
                FieldProblem(
                    UserErrorCode.REVIEW_TOO_LONG,
                    f"Reviews are at most {MAX_REVIEW_LENGTH} characters.",
                    ("body",),
                )
            )
        if rating is not None and (problem := check_rating(rating, "rating")):
            problems.append(problem)
        if problems:
            raise UserErrors(*problems)

    async def create_review(self, user_id: int, movie_id: int, body: str, rating: float | None) -> ReviewRow:
        self._check_review(body, rating)
        details = await self._known_movie(movie_id)
        async with self._write(user_id) as session:
            await self._ensure_movie(session, details)
            if await repo.review_of(session, user_id, movie_id) is not None:
                raise UserErrors.one(
                    UserErrorCode.REVIEW_EXISTS, "You have already reviewed this movie.", "movieId"
                )
            review = ReviewRow(user_id=user_id, movie_id=movie_id, body=body.strip(), rating=rating)
            session.add(review)
            await session.flush()
            tally = Tally()
            tally.review(movie_id)
            await tally.apply(session)
            return review

    async def update_review(
        self, user_id: int, review_id: int, body: str | None, rating: float | None
    ) -> ReviewRow:
        self._check_review(body, rating)
        async with self._write(user_id) as session:
            review = await repo.get_review(session, review_id)
            if review is None:
                raise UserErrors.one(UserErrorCode.REVIEW_NOT_FOUND, "No review has this id.", "id")
            if review.user_id != user_id:
                raise Forbidden("Only the author can edit a review.")
            if body is not None:
                review.body = body.strip()
            if rating is not None:
                review.rating = rating
            review.updated_at = _now()
            return review

    async def delete_review(self, user_id: int, roles: frozenset[str], review_id: int) -> None:
        async with self._write(user_id) as session:
            review = await repo.get_review(session, review_id)
            if review is None:
                raise UserErrors.one(UserErrorCode.REVIEW_NOT_FOUND, "No review has this id.", "id")
            if review.user_id != user_id and not roles & {"MODERATOR", "ADMIN"}:
                raise Forbidden("Only the author, a moderator or an admin can delete a review.")
            await session.delete(review)
            tally = Tally()
            tally.review(review.movie_id, -1)
            await tally.apply(session)

    # -- watch history ----------------------------------------------------------------------------

    async def track_view(self, user_id: int | None, client_ip: str, movie_id: int) -> bool:
        """Records a view, once per viewer and movie in any 30 minutes. True when recorded."""
        details = await self._known_movie(movie_id)
        # Anonymous viewers are told apart by a one-way hash of their address, never the address.
        anonymous_key = (
            None if user_id is not None else hashlib.sha256(f"reelgraph:{client_ip}".encode()).hexdigest()
        )
        async with write_transaction(self._sessions) as session:
            if user_id is not None and await repo.lock_user(session, user_id) is None:
                raise Unauthenticated("Your account no longer exists.")
            if anonymous_key is not None:  # so that concurrent views by one address count once
                await repo.lock_anonymous_viewer(session, anonymous_key)
            await self._ensure_movie(session, details)
            now = _now()
            last = await repo.last_watch(session, user_id, anonymous_key, movie_id)
            if last is not None and now - last < VIEW_DEDUP_WINDOW:
                return False
            session.add(
                WatchEventRow(user_id=user_id, anonymous_key=anonymous_key, movie_id=movie_id, watched_at=now)
            )
            tally = Tally()
            tally.watch(user_id, movie_id, now)
            await tally.apply(session)
            return True

    # -- preferences ------------------------------------------------------------------------------

    async def update_preferences(
        self, user_id: int, changes: dict[str, list[int] | None], language: str
    ) -> None:
        """Replaces each given list; unknown genre, person or movie ids are UserErrors and nothing is written."""
        problems: list[FieldProblem] = []
        genre_names = await self._catalog.genre_names(language)
        for field in ("favorite_genres", "disliked_genres"):
            unknown = [g for g in changes.get(field) or [] if g not in genre_names]
            if unknown:
                problems.append(
                    FieldProblem(
                        UserErrorCode.GENRE_NOT_FOUND,
                        f"Unknown genre ids: {unknown}.",
                        ("input", _camel(field)),
                    )
                )
        both = set(changes.get("favorite_genres") or []) & set(changes.get("disliked_genres") or [])
        if both:
            problems.append(
                FieldProblem(
                    UserErrorCode.CONFLICTING_GENRES,
                    f"Genres cannot be both favourite and disliked: {sorted(both)}.",
                    ("input", "dislikedGenres"),
                )
            )
        people = changes.get("favorite_people") or []
        movies = changes.get("favorite_movies") or []
        for field, ids, lookup, code in (
            ("favorite_people", people, self._catalog.person, UserErrorCode.PERSON_NOT_FOUND),
            ("favorite_movies", movies, self._catalog.movie, UserErrorCode.MOVIE_NOT_FOUND),
        ):
            if len(ids) > 100:
                problems.append(
                    FieldProblem(UserErrorCode.TOO_MANY, "At most 100 ids.", ("input", _camel(field)))
                )
                continue
            found = [await lookup(i, language) if i > 0 else None for i in dict.fromkeys(ids)]
            unknown = [i for i, data in zip(dict.fromkeys(ids), found, strict=True) if data is None]
            if unknown:
                problems.append(FieldProblem(code, f"Unknown ids: {unknown}.", ("input", _camel(field))))
        if problems:
            raise UserErrors(*problems)
        async with self._write(user_id) as session:
            for field, kind in PREFERENCE_KINDS.items():
                if changes.get(field) is not None:
                    await repo.replace_preferences(session, user_id, kind, changes[field] or [])

    async def preferences(self, user_id: int) -> dict[str, list[int]]:
        async with self._sessions() as session:
            return await repo.preferences_of(session, user_id)

    async def stats(self, user_id: int, top_genres: int) -> dict[str, Any]:
        async with self._sessions() as session:
            found = await repo.stats(session, user_id)
            found["top_genres"] = await repo.top_genres(session, user_id, top_genres)
            return found


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class LibraryPages:
    """Newest-first pages of a user's library rows: `before_id` from the cursor, `limit` rows."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def interactions(
        self, user_id: int, kind: str | None, before_id: int | None, limit: int
    ) -> tuple[list[InteractionRow], int]:
        async with self._sessions() as session:
            return await repo.interactions_page(session, user_id, kind, before_id, limit)

    async def ratings(self, user_id: int, before_id: int | None, limit: int) -> tuple[list[RatingRow], int]:
        async with self._sessions() as session:
            return await repo.ratings_page(session, user_id, before_id, limit)

    async def reviews_by(
        self, user_id: int, before_id: int | None, limit: int
    ) -> tuple[list[ReviewRow], int]:
        async with self._sessions() as session:
            return await repo.reviews_page(session, user_id=user_id, before_id=before_id, limit=limit)

    async def reviews_of(
        self, movie_id: int, before_id: int | None, limit: int
    ) -> tuple[list[ReviewRow], int]:
        async with self._sessions() as session:
            return await repo.reviews_page(session, movie_id=movie_id, before_id=before_id, limit=limit)

    async def watch_history(
        self, user_id: int, before_id: int | None, limit: int
    ) -> tuple[list[WatchEventRow], int]:
        async with self._sessions() as session:
            return await repo.watch_events_page(session, user_id, before_id, limit)
