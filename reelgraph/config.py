"""Every setting, read once from the environment into one typed object."""

from __future__ import annotations

import json
import math
import os
import secrets
import zlib
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from limits import parse as parse_rate_limit
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# A production secret shorter than this is refused: HS256 keys should carry >= 256 bits.
MIN_SECRET_LENGTH = 32
# And one that is long but not random: a Shannon estimate under this (hex carries 4 bits a
# character, and 64 random hex digits measure 3.4 at worst), or that zlib shrinks by a quarter
# (repeats of a short pattern; random text does not compress).
MIN_SECRET_BITS_PER_CHAR = 3.3
MIN_SECRET_COMPRESSED_RATIO = 0.75


def secret_weakness(secret: str) -> str | None:
    """Why a production secret is refused (too short, too few distinct characters, repetitive),
    or None when it looks random. Catches careless secrets, not every guessable one."""
    if len(secret) < MIN_SECRET_LENGTH:
        return f"must be at least {MIN_SECRET_LENGTH} characters"
    counts = Counter(secret)
    bits = sum(n / len(secret) * math.log2(len(secret) / n) for n in counts.values())
    if bits < MIN_SECRET_BITS_PER_CHAR:
        return f"has too little entropy ({bits:.1f} bits per character, {len(counts)} distinct)"
    data = secret.encode()
    if len(zlib.compress(data, 9)) < MIN_SECRET_COMPRESSED_RATIO * len(data):
        return "repeats itself"
    return None


class ConfigError(RuntimeError):
    """The configuration cannot run; the message says what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REELGRAPH_", extra="ignore", populate_by_name=True)

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./reelgraph.db"
    cache_url: str = "memory://"
    jwt_secret: str | None = None
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_days: int = 30
    password_reset_ttl_minutes: int = 30

    # Upstreams: keys keep their conventional unprefixed names.
    tmdb_api_key: str | None = Field(default=None, validation_alias="TMDB_API_KEY")
    tmdb_read_token: str | None = Field(default=None, validation_alias="TMDB_READ_TOKEN")
    tmdb_base_url: str = "https://api.themoviedb.org/3"
    omdb_api_key: str | None = Field(default=None, validation_alias="OMDB_API_KEY")
    omdb_base_url: str = "https://www.omdbapi.com"
    openai_api_key: str | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    openai_model: str = "gpt-4o-mini"
    openai_timeout_seconds: float = 8.0
    # Recommender: the `retrain-recommender` job stores each model version in the database and every
    # replica polls for the newest; a directory written by `reelgraph recs train --out DIR` pins one
    # instead. With no stored model yet, the first process to need one trains it (at start here).
    recs_model_dir: str | None = None
    recs_train_on_start: bool = True
    # Retrain on this schedule, or sooner once this many new ratings + interactions came in
    # (checked every recs_check_seconds against the ids the current model saw).
    recs_refresh_seconds: int = 6 * 3600
    recs_retrain_after: int = 200
    recs_check_seconds: int = 60
    recs_poll_seconds: float = 30.0  # how often a replica looks for a newer stored version
    recs_keep_versions: int = 3
    recs_train_batch_rows: int = 20_000  # rows read per batch while gathering training data
    # Train (read the rows, fit, serialise) in a spawned child process, so the serving process only
    # loads the result; false: in a thread of this process (the fit's memory and GIL stay here).
    recs_train_subprocess: bool = True
    # `precompute-recommendations`: users active in the last N hours (at most M), every K seconds.
    recs_precompute_seconds: int = 15 * 60
    recs_precompute_active_hours: int = 24
    recs_precompute_max_users: int = 5_000
    recs_precompute_first: int = 50  # a request for up to this many is served from the entry
    recs_precompute_ttl_seconds: int = 2 * 3600
    # `export-analytics`: how often, and how long the files stay downloadable.
    analytics_export_seconds: int = 24 * 3600
    analytics_export_ttl_seconds: int = 24 * 3600
    # `exportLibrary`: how long a viewer's export stays downloadable, and how many a viewer may make.
    library_export_ttl_seconds: int = 3600
    library_export_rate_limit: str = "10/hour"
    # `trending(source: COMMUNITY)`: ranked every N seconds from this server's own signals; a movie
    # needs this many distinct viewers, and the list this many movies (else TMDb's answers).
    community_trending_seconds: int = 5 * 60
    community_trending_min_viewers: int = 3
    community_trending_min_movies: int = 10
    # `refresh-catalog`: every N seconds, at most this many movies per run, oldest first.
    catalog_refresh_seconds: int = 3600
    catalog_refresh_max_movies: int = 200
    # Chat turns per viewer (or address): each may call a paid model.
    chat_rate_limit: str = "30/minute"

    # Upstream HTTP policy (every call has these timeouts; retries and the breaker sit on top).
    upstream_connect_timeout_seconds: float = 3.0
    upstream_read_timeout_seconds: float = 8.0
    upstream_max_attempts: int = 3
    upstream_rate_limit_per_second: float = 40.0
    # Requests that may go out at once before the per-second rate applies: a cold page's details.
    upstream_rate_limit_burst: int = 40
    upstream_breaker_threshold: int = 5
    upstream_breaker_recovery_seconds: float = 30.0

    # Shared-cache lifetimes per kind of upstream data, and how long stale copies stay usable
    # as a fallback when the upstream fails.
    cache_ttl_list_seconds: int = 600
    cache_ttl_details_seconds: int = 86_400
    cache_ttl_search_seconds: int = 60
    cache_stale_seconds: int = 7 * 86_400
    omdb_max_age_days: int = 30
    response_cache_seconds: int = 30
    # Completed movie subtrees kept by the executor (reelgraph.schema.execution), in bytes; 0: off.
    subtree_cache_bytes: int = 32_000_000
    # Signed-in viewers' libraries kept by version between their requests, in bytes; 0: off.
    viewer_library_cache_bytes: int = 16_000_000

    # HTTP surface. NoDecode: the variable is a comma-separated list, not JSON.
    cors_origins: Annotated[list[str], NoDecode] = ["http://localhost:3000", "http://127.0.0.1:3000"]
    max_body_bytes: int = 1_000_000
    # Signed-in multipart requests (importLibrary's file upload, at most 20 MB) may be this large.
    max_upload_body_bytes: int = 22_000_000
    # Idle keep-alive connections are closed after this long. Longer than what clients and load
    # balancers keep idle connections (httpx 5 s, many balancers 60 s), so that they close first:
    # a server closing a connection just as the client reuses it fails that request.
    keep_alive_seconds: int = 75
    # GraphQL HTTP requests run at once (0: no limit); the others queue, first come first served,
    # and are refused with 503 + RATE_LIMITED after waiting this long (reelgraph.admission).
    max_in_flight: int = 32
    max_queue_seconds: float = 10.0
    max_query_depth: int = 12
    max_aliases: int = 30
    max_field_repeats: int = 10  # one field or fragment selected in one selection set
    max_tokens: int = 2_000
    max_query_length: int = 20_000  # characters of GraphQL document; long values go in variables
    # gc.freeze() once started; tests that start many apps in one process turn it off.
    freeze_startup_objects: bool = True
    # Valid documents kept parsed, bounded by their tokens (about 100 typical operations).
    document_cache_tokens: int = 20_000
    max_query_cost: int = 50_000  # nodes an operation may return (reelgraph.schema.cost)
    # TMDb/OMDb lookups the shared cache cannot answer, per operation (services.upstream_budget).
    max_upstream_calls: int = 250
    graphiql: bool | None = None  # None: on in development, off in production
    introspection: bool | None = None  # None: on in development, off in production
    # Requests per signed-in user or else per address; account mutations per address.
    rate_limit: str = "600/minute"
    auth_rate_limit: str = "30/minute"
    # The general limit is counted in memory from leases taken from the shared counter (Redis
    # across replicas); a lease covers at most this many seconds of a caller's traffic and a
    # twentieth of the limit (0: every request asks the shared counter).
    rate_limit_sync_seconds: float = Field(default=1.0, ge=0)
    # reelgraph.access lines per second at most: past it, a second's further requests are counted,
    # not logged (server errors always are); the next line says how many were left out. 0: all.
    access_log_per_second: int = Field(default=200, ge=0)
    # Automatic persisted queries (Apollo protocol), kept in the shared cache this long.
    persisted_queries: bool = True
    persisted_query_ttl_seconds: int = 86_400

    # Sign-in throttling (reelgraph/throttling/login_failures.py): failures per window allowed for
    # one email from one address, and for one address, before each further failure makes that
    # counter wait (2 s, doubling up to the max) with RATE_LIMITED; never an account-wide lockout.
    login_failures_per_email: int = 5
    login_failures_per_ip: int = 20
    login_failure_window_seconds: int = 900
    login_failure_max_wait_seconds: int = 300

    # Mail: console unless an SMTP host is set.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "reelgraph <no-reply@localhost>"
    smtp_starttls: bool = True
    public_url: str = "http://127.0.0.1:8000"

    # Background jobs (reelgraph/jobs). No broker: every job runs inside this process on its
    # schedule. A Redis URL: the API only enqueues, `reelgraph worker` runs the jobs and exactly one
    # `reelgraph scheduler` fires the schedules.
    broker_url: str | None = None
    job_queue_name: str = "reelgraph-jobs"
    job_worker_port: int = 8001  # the worker's /health/ready and /metrics
    job_worker_concurrency: int = 4
    job_lease_seconds: int = 30  # a running job renews its lease this often (x 1/3); a dead worker's lapses
    job_retry_backoff_seconds: float = 2.0  # doubles after each failed attempt
    job_shutdown_wait_seconds: float = 20.0  # in-flight jobs get this long on shutdown, then are re-queued
    job_run_wait_seconds: float = 5.0  # runJob waits this long for a short job in the embedded default
    job_eager: bool = False  # tests: the embedded default runs a job before enqueue returns
    job_schedules: bool = True  # the embedded default fires the schedules (most tests switch it off)
    # Extra modules that register jobs with @job (tests, plugins), comma-separated.
    job_modules: Annotated[list[str], NoDecode] = Field(default_factory=list)
    cleanup_seconds: int = 3600
    chat_session_max_age_days: int = 30

    @field_validator("job_modules", mode="before")
    @classmethod
    def _split_job_modules(cls, value: object) -> object:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().startswith("["):
            return json.loads(value)
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("rate_limit", "auth_rate_limit", "chat_rate_limit")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        parse_rate_limit(value)  # e.g. "600/minute" or "30 per 10 seconds"; raises when malformed
        return value

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def offline_catalog(self) -> bool:
        """No TMDb credentials: serve the bundled catalog through the same client code."""
        return not (self.tmdb_api_key or self.tmdb_read_token)

    @property
    def graphiql_enabled(self) -> bool:
        return (not self.is_production) if self.graphiql is None else self.graphiql

    @property
    def introspection_enabled(self) -> bool:
        return (not self.is_production) if self.introspection is None else self.introspection

    @property
    def sqlite_path(self) -> Path | None:
        """The database file for SQLite URLs (None for in-memory or other databases)."""
        if not self.database_url.startswith("sqlite"):
            return None
        path = self.database_url.split(":///", 1)[-1]
        return None if path in ("", ":memory:") else Path(path)

    def resolved_jwt_secret(self) -> str:
        """The signing secret; in development a missing one is generated once and kept beside the DB."""
        if self.jwt_secret:
            weakness = secret_weakness(self.jwt_secret) if self.is_production else None
            if weakness is not None:
                raise ConfigError(
                    f"REELGRAPH_JWT_SECRET {weakness}: in production it must be random "
                    f"(at least {MIN_SECRET_LENGTH} characters, e.g. `openssl rand -hex 32`)."
                )
            return self.jwt_secret
        if self.is_production:
            raise ConfigError(
                "REELGRAPH_JWT_SECRET is required when REELGRAPH_ENV=production "
                f"(at least {MIN_SECRET_LENGTH} random characters, e.g. `openssl rand -hex 32`)."
            )
        db_path = self.sqlite_path
        secret_file = (db_path.parent if db_path else Path.cwd()) / ".reelgraph.jwt-secret"
        if secret_file.exists():
            return secret_file.read_text().strip()
        secret = secrets.token_urlsafe(48)
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        # Created 0600 from the start so the secret is never world-readable, even briefly.
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secret)
        return secret


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
