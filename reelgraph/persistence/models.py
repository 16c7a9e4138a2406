"""SQLModel tables: users and their movie state, plus a local mirror of catalog entities.

Movies, people and genres are keyed by their TMDb ids, so every foreign key speaks the
same language as the public API (movieId arguments are TMDb ids).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset on its own)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def created_at_field(*, index: bool = False) -> Any:
    """Now, in UTC; indexed where ranges of it are asked (analytics, trending, recent activity)."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index)


# SQLite reuses the highest rowid once its row is deleted; AUTOINCREMENT makes ids never come back,
# as PostgreSQL's sequences already do. Every table whose ids are shown or referenced has it.
NEVER_REUSED_IDS = {"sqlite_autoincrement": True}


def user_fk(*, nullable: bool = False, index: bool = True) -> Any:
    return Field(
        default=None if nullable else ...,
        sa_column_args=[sa.ForeignKey("users.id", ondelete="CASCADE")],
        nullable=nullable,
        index=index,
    )


def movie_fk(*, index: bool = True) -> Any:
    return Field(sa_column_args=[sa.ForeignKey("movies.tmdb_id", ondelete="CASCADE")], index=index)


class UserRow(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        # users(search:) matches '%term%' in either: trigram GIN on PostgreSQL, plain on SQLite.
        sa.Index(
            "ix_users_search",
            "name",
            "email",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops", "email": "gin_trgm_ops"},
        ),
        NEVER_REUSED_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)  # stored lowercased
    name: str = Field(max_length=100)
    password_hash: str = Field(max_length=255)
    locale: str = Field(default="en-US", max_length=16)
    region: str | None = Field(default=None, max_length=2)
    date_of_birth: date | None = None
    created_at: datetime = created_at_field(index=True)
    updated_at: datetime = created_at_field()
    # Moved by database triggers on every write to the user's interactions and ratings (migration
    # 0010): a library read at one version is still true while the version is the same.
    library_version: int = 0


class RoleRow(SQLModel, table=True):
    __tablename__ = "roles"
    __table_args__ = NEVER_REUSED_IDS

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=32, unique=True)


class UserRoleRow(SQLModel, table=True):
    __tablename__ = "user_roles"

    user_id: int = Field(sa_column_args=[sa.ForeignKey("users.id", ondelete="CASCADE")], primary_key=True)
    role_id: int = Field(sa_column_args=[sa.ForeignKey("roles.id", ondelete="CASCADE")], primary_key=True)
    granted_at: datetime = created_at_field()


class GenreRow(SQLModel, table=True):
    __tablename__ = "genres"

    tmdb_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    name: str = Field(max_length=64)
    name_fr: str | None = Field(default=None, max_length=64)


class MovieRow(SQLModel, table=True):
    """Local mirror of a TMDb movie and its OMDb scores, written on first touch."""

    __tablename__ = "movies"

    tmdb_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    imdb_id: str | None = Field(default=None, max_length=16, index=True)
    title: str = Field(max_length=500)
    original_title: str | None = Field(default=None, max_length=500)
    original_language: str | None = Field(default=None, max_length=8)
    overview: str | None = Field(default=None, sa_type=sa.Text)
    release_date: date | None = None
    runtime: int | None = None
    popularity: float | None = None
    vote_average: float | None = None
    vote_count: int | None = None
    poster_path: str | None = Field(default=None, max_length=255)
    backdrop_path: str | None = Field(default=None, max_length=255)
    imdb_rating: float | None = None
    imdb_votes: int | None = None
    metascore: int | None = None
    rotten_tomatoes: int | None = None
    omdb_fetched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = created_at_field()


class MovieGenreRow(SQLModel, table=True):
    __tablename__ = "movie_genres"

    movie_id: int = Field(
        sa_column_args=[sa.ForeignKey("movies.tmdb_id", ondelete="CASCADE")], primary_key=True
    )
    genre_id: int = Field(
        sa_column_args=[sa.ForeignKey("genres.tmdb_id", ondelete="CASCADE")], primary_key=True
    )
    position: int = 0  # 0 is the primary genre, as TMDb orders them


class PersonRow(SQLModel, table=True):
    __tablename__ = "people"

    tmdb_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    name: str = Field(max_length=255)
    known_for_department: str | None = Field(default=None, max_length=64)
    profile_path: str | None = Field(default=None, max_length=255)
    popularity: float | None = None
    updated_at: datetime = created_at_field()


class InteractionRow(SQLModel, table=True):
    __tablename__ = "interactions"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "movie_id", "kind", name="uq_interaction"),
        # A library page: WHERE user_id = ? ORDER BY id DESC LIMIT n reads n index entries.
        sa.Index("ix_interactions_user_id_id", "user_id", "id"),
        NEVER_REUSED_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = user_fk(index=False)
    movie_id: int = movie_fk()
    kind: str = Field(max_length=16)
    created_at: datetime = created_at_field(index=True)


class RatingRow(SQLModel, table=True):
    __tablename__ = "ratings"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "movie_id", name="uq_rating"),
        sa.Index("ix_ratings_user_id_id", "user_id", "id"),
        NEVER_REUSED_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = user_fk(index=False)
    movie_id: int = movie_fk()
    value: float
    created_at: datetime = created_at_field(index=True)
    updated_at: datetime = created_at_field(index=True)


class ReviewRow(SQLModel, table=True):
    __tablename__ = "reviews"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "movie_id", name="uq_review"),
        sa.Index("ix_reviews_movie_id_id", "movie_id", "id"),  # a movie's reviews, newest first
        NEVER_REUSED_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = user_fk()
    movie_id: int = movie_fk(index=False)
    body: str = Field(sa_type=sa.Text)
    rating: float | None = None
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class PreferenceRow(SQLModel, table=True):
    """One favourite or disliked thing: kind says what target_id points at."""

    __tablename__ = "preferences"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "kind", "target_id", name="uq_preference"),
        NEVER_REUSED_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = user_fk()
    kind: str = Field(max_length=24)  # FAVORITE_GENRE, DISLIKED_GENRE, FAVORITE_PERSON, FAVORITE_MOVIE
    target_id: int
    position: int = 0


class WatchEventRow(SQLModel, table=True):
    __tablename__ = "watch_events"
    __table_args__ = (
        sa.Index("ix_watch_events_user_id_id", "user_id", "id"),
        # An anonymous view's dedup check (its viewer's last view of the movie) without walking
        # every view of a popular movie; signed-in rows (no key) are left out of it.
        sa.Index(
            "ix_watch_events_anonymous_key",
            "anonymous_key",
            "movie_id",
            "watched_at",
            postgresql_where=sa.text("anonymous_key IS NOT NULL"),
            sqlite_where=sa.text("anonymous_key IS NOT NULL"),
        ),
        NEVER_REUSED_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = user_fk(nullable=True, index=False)
    # Anonymous viewers are deduplicated by a salted hash of their address, never the address itself.
    anonymous_key: str | None = Field(default=None, max_length=64)
    movie_id: int = movie_fk()
    watched_at: datetime = created_at_field(index=True)


class ChatSessionRow(SQLModel, table=True):
    __tablename__ = "chat_sessions"

    id: str = Field(primary_key=True, max_length=36)
    user_id: int | None = user_fk(nullable=True)
    filters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field(index=True)


class ChatMessageRow(SQLModel, table=True):
    __tablename__ = "chat_messages"
    __table_args__ = NEVER_REUSED_IDS

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(
        sa_column_args=[sa.ForeignKey("chat_sessions.id", ondelete="CASCADE")], index=True, max_length=36
    )
    role: str = Field(max_length=16)
    content: str = Field(sa_type=sa.Text)
    created_at: datetime = created_at_field()


class LoginSessionRow(SQLModel, table=True):
    """One sign-in, from login until it is revoked: every access token names it (claim `sid`)."""

    __tablename__ = "login_sessions"

    id: str = Field(primary_key=True, max_length=36)  # random (uuid4): never reused, never guessed
    user_id: int = user_fk()
    created_at: datetime = created_at_field()
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RefreshTokenRow(SQLModel, table=True):
    """A refresh token, stored only as a hash. A family is one login session's chain of rotations."""

    __tablename__ = "refresh_tokens"
    __table_args__ = NEVER_REUSED_IDS

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = user_fk()
    token_hash: str = Field(max_length=64, unique=True)
    # The login session's id.
    family_id: str = Field(
        max_length=36,
        index=True,
        sa_column_args=[sa.ForeignKey("login_sessions.id", ondelete="CASCADE")],
    )
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rotated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class PasswordResetTokenRow(SQLModel, table=True):
    __tablename__ = "password_reset_tokens"
    __table_args__ = NEVER_REUSED_IDS

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = user_fk()
    token_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class RecommenderModelRow(SQLModel, table=True):
    """One trained recommender, shared by every replica: the newest version is the one served."""

    __tablename__ = "recommender_models"
    __table_args__ = NEVER_REUSED_IDS

    # Versions only grow (ids are never reused), so the newest is one primary-key lookup away.
    version: int | None = Field(default=None, primary_key=True)
    created_at: datetime = created_at_field()
    trained_on_ratings: int
    trained_on_interactions: int
    # The newest rating / interaction id it saw: retrain when the tables' max id moves far enough.
    ratings_max_id: int
    interactions_max_id: int
    # Compressed npz arrays + JSON (reelgraph.recommender.storage), never a pickle.
    model: bytes = Field(sa_type=sa.LargeBinary)


class DownloadRow(SQLModel, table=True):
    """A file produced for someone (an export), served from a signed link until it expires."""

    __tablename__ = "downloads"
    __table_args__ = (sa.Index("ix_downloads_kind_created_at", "kind", "created_at"),)

    id: str = Field(primary_key=True, max_length=36)  # random (uuid4): never reused, never guessed
    # Who may download it; None: any admin (what the server itself produced, e.g. analytics).
    owner_id: int | None = user_fk(nullable=True)
    kind: str = Field(max_length=32)  # what it is, so the latest of a kind can be found
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    content: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class JobRunRow(SQLModel, table=True):
    """One run of a background job (reelgraph.persistence.jobs moves it from QUEUED to its end)."""

    __tablename__ = "job_runs"
    __table_args__ = (sa.Index("ix_job_runs_name_status", "name", "status"), NEVER_REUSED_IDS)

    # Growing ids: newest first is id order, and cursors and global ids are plain row ids.
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    status: str = Field(max_length=16)
    queued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    max_attempts: int = 1
    error: str | None = Field(default=None, sa_type=sa.Text)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    summary: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # "name@period number" for scheduled runs: unique, so a second scheduler cannot fire a period again.
    period_key: str | None = Field(default=None, max_length=100, unique=True, index=True)
    # A RUNNING run whose lease has passed belongs to a dead worker and may be claimed again.
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    worker: str | None = Field(default=None, max_length=100)

    @property
    def duration_ms(self) -> int | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return int((self.finished_at - self.started_at).total_seconds() * 1000)


class CommunityTrendingRow(SQLModel, table=True):
    """This server's own trending list for one window, as the community-trending job last ranked it."""

    __tablename__ = "community_trending"

    window: str = Field(max_length=8, primary_key=True)  # "day" or "week", as TimeWindow's values
    rank: int = Field(primary_key=True)  # 0 is the top
    tmdb_id: int
    score: float
    viewers: int
    computed_at: datetime = created_at_field()


class LibraryImportRow(SQLModel, table=True):
    """One library import (reelgraph.services.library_import): the uploaded file until the job has
    read it, then the job's progress and the rows it could not match."""

    __tablename__ = "library_imports"
    __table_args__ = NEVER_REUSED_IDS

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = user_fk()
    source: str = Field(max_length=16)  # LETTERBOXD, IMDB, TRAKT
    status: str = Field(max_length=16)  # as job runs: QUEUED, RUNNING, SUCCEEDED, FAILED
    dry_run: bool = False
    filename: str | None = Field(default=None, max_length=255)
    # The upload (at most the import's byte limit), dropped once the import has ended.
    content: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    total: int = 0
    processed: int = 0
    matched: int = 0
    skipped: int = 0
    unmatched_count: int = 0
    # The first unmatched rows ({row, title, year, reason}), capped.
    unmatched: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = created_at_field()
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MovieAggregateRow(SQLModel, table=True):
    """A movie's rating count and sum and review count, changed in the transaction of every write
    that changes its ratings or reviews (reelgraph.persistence.movie_aggregates)."""

    __tablename__ = "movie_aggregates"
    # mostRated: the top of (count descending, id) read from the index, not by counting ratings.
    __table_args__ = (
        sa.Index("ix_movie_aggregates_most_rated", sa.text("rating_count DESC"), "movie_id"),
        # mostWatched's candidates, most viewed of all time first (reelgraph.persistence.analytics).
        sa.Index("ix_movie_aggregates_most_viewed", sa.text("view_count DESC"), "movie_id"),
    )

    movie_id: int = Field(
        sa_column_args=[sa.ForeignKey("movies.tmdb_id", ondelete="CASCADE")],
        primary_key=True,
        sa_column_kwargs={"autoincrement": False},
    )
    rating_count: int = 0
    rating_sum: float = 0.0  # ratings are halves: sums of them are exact in a double
    review_count: int = 0
    view_count: int = 0  # watch events of all time (migration 0009)


class DailyCountRow(SQLModel, table=True):
    """One figure per UTC day (NEW_USERS, ACTIVE_USERS), kept by the writes (reelgraph.persistence.rollups)."""

    __tablename__ = "daily_counts"

    metric: str = Field(max_length=16, primary_key=True)
    day: date = Field(primary_key=True)
    count: int = 0


class ActiveUserDayRow(SQLModel, table=True):
    """A user active on a UTC day: `refs` counts the activity times of their rows on that day
    (watch, interaction, rating created / updated), so removing one of several keeps the day."""

    __tablename__ = "active_user_days"

    day: date = Field(primary_key=True)
    user_id: int = Field(
        sa_column_args=[sa.ForeignKey("users.id", ondelete="CASCADE")], primary_key=True, index=True
    )
    refs: int = 0


class MovieDayViewsRow(SQLModel, table=True):
    """Watch events of a movie on a UTC day, signed-in and anonymous alike."""

    __tablename__ = "movie_daily_views"
    # A few movies' days in a window (mostWatched's candidates); movie_id first for the FK too.
    __table_args__ = (sa.Index("ix_movie_daily_views_movie_id_day", "movie_id", "day"),)

    day: date = Field(primary_key=True)
    movie_id: int = Field(
        sa_column_args=[sa.ForeignKey("movies.tmdb_id", ondelete="CASCADE")], primary_key=True
    )
    count: int = 0
