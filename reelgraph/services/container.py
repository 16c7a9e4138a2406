"""Long-lived objects opened once per process (in the app lifespan) and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from aiocache import BaseCache
from limits.aio.storage import Storage
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from reelgraph import cursors
from reelgraph.auth.tokens import TokenCodec
from reelgraph.caching.responses import ResponseCache
from reelgraph.caching.shared_cache import create_cache
from reelgraph.caching.upstream_data import CachedFetcher
from reelgraph.chat.engine import ChatEngine
from reelgraph.config import Settings
from reelgraph.integrations.upstream import Upstreams, create_upstreams
from reelgraph.loaders.catalog_reader import CatalogReader
from reelgraph.loaders.viewer_library_cache import ViewerLibraryCache
from reelgraph.mail import Mailer, create_mailer
from reelgraph.persistence.engine import create_engine, create_session_factory
from reelgraph.services.accounts import AccountService
from reelgraph.services.admin import AdminService
from reelgraph.services.analytics import AnalyticsService
from reelgraph.services.browse import BrowseService
from reelgraph.services.catalog import CatalogService
from reelgraph.services.chat import CatalogSearchResolver, ChatService
from reelgraph.services.community_trending import CommunityTrending
from reelgraph.services.downloads import DownloadService
from reelgraph.services.jobs import JobRuns, QueuedMailer, QueueSlot
from reelgraph.services.library import LibraryPages, LibraryService
from reelgraph.services.library_export import LibraryExportService
from reelgraph.services.library_import import LibraryImportService
from reelgraph.services.movie_lists import MovieLists
from reelgraph.services.recommendations import RecommendationService
from reelgraph.throttling.login_failures import LoginThrottle, create_limit_storage

OFFLINE_CATALOG_YEAR = 2018


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    cache: BaseCache
    limit_storage: Storage
    codec: TokenCodec
    accounts: AccountService
    admin: AdminService
    downloads: DownloadService
    upstreams: Upstreams | None = None
    # Set by open() unless catalog=False (the CLI's account commands need none of them).
    reader: CatalogReader = None  # type: ignore[assignment]  # see above
    catalog: CatalogService = None  # type: ignore[assignment]  # see above
    browse: BrowseService = None  # type: ignore[assignment]  # see above
    lists: MovieLists = None  # type: ignore[assignment]  # see above
    response_cache: ResponseCache = None  # type: ignore[assignment]  # see above
    library: LibraryService = None  # type: ignore[assignment]  # see above
    library_import: LibraryImportService = None  # type: ignore[assignment]  # see above
    pages: LibraryPages = None  # type: ignore[assignment]  # see above
    analytics: AnalyticsService = None  # type: ignore[assignment]  # see above
    chat: ChatService = None  # type: ignore[assignment]  # see above
    recommendations: RecommendationService = None  # type: ignore[assignment]  # see above
    community: CommunityTrending = None  # type: ignore[assignment]  # see above
    library_export: LibraryExportService = None  # type: ignore[assignment]  # see above
    # Signed-in viewers' libraries by version, shared by this process's requests.
    kept_libraries: ViewerLibraryCache = None  # type: ignore[assignment]  # set by create()
    # Background jobs: the queue the services enqueue on (connected by the app's lifespan or the
    # worker to the engine in reelgraph.jobs), the runs the admin API reads, and the mailer that
    # actually delivers (the send-mail job's; AccountService gets a QueuedMailer over it).
    job_queue: QueueSlot = field(default_factory=QueueSlot)
    job_runs: JobRuns = None  # type: ignore[assignment]  # set by create()
    mailer: Mailer = None  # type: ignore[assignment]  # set by create()

    @classmethod
    async def open(
        cls,
        settings: Settings,
        mailer: Mailer | None = None,
        *,
        catalog: bool = True,
        tmdb_transport: httpx.AsyncBaseTransport | None = None,
        omdb_transport: httpx.AsyncBaseTransport | None = None,
    ) -> Services:
        """Everything a server needs; catalog=False skips the upstreams (CLI account commands)."""
        services = cls.create(settings, mailer)
        if catalog:
            services.upstreams = await create_upstreams(settings, tmdb_transport, omdb_transport)
            fetcher = CachedFetcher(services.cache, settings.cache_stale_seconds)
            services.reader = CatalogReader(services.upstreams, fetcher, services.sessions, settings)
            services.catalog = CatalogService(services.upstreams, fetcher, services.reader, settings)
            services.lists = MovieLists(fetcher)
            services.library = LibraryService(services.sessions, services.reader)
            services.library_import = LibraryImportService(
                services.sessions, services.reader, services.catalog, services.job_queue
            )
            services.library_export = LibraryExportService(
                services.sessions,
                services.reader,
                services.downloads,
                timedelta(seconds=settings.library_export_ttl_seconds),
                services.limit_storage,
                settings.library_export_rate_limit,
            )
            # Offline, "recent" means recent for the bundled catalog, whose data ends in 2018.
            reference_year = OFFLINE_CATALOG_YEAR if services.upstreams.offline_tmdb else None
            engine = ChatEngine.from_settings(
                settings, CatalogSearchResolver(services.catalog), reference_year=reference_year
            )
            services.recommendations = RecommendationService(
                services.sessions, settings, services.cache, services.job_queue
            )
            services.community = CommunityTrending(
                services.sessions,
                services.reader,
                min_viewers=settings.community_trending_min_viewers,
                min_movies=settings.community_trending_min_movies,
            )
            services.browse = BrowseService(
                services.catalog, services.lists, services.recommendations, services.community
            )
            # Polls for the shared model's newest version (and loads or trains one at start if asked).
            await services.recommendations.start()
            services.chat = ChatService(
                services.sessions, engine, services.browse, services.limit_storage, settings.chat_rate_limit
            )
            await services.reader.load_configuration()
        services.response_cache = ResponseCache(settings.response_cache_seconds)
        return services

    @classmethod
    def create(cls, settings: Settings, mailer: Mailer | None = None) -> Services:
        engine = create_engine(settings.database_url)
        sessions = create_session_factory(engine)
        secret = settings.resolved_jwt_secret()
        codec = TokenCodec(secret, settings.jwt_algorithm, settings.access_token_ttl_seconds)
        cursors.configure(secret)
        limit_storage = create_limit_storage(settings.cache_url)
        throttle = LoginThrottle(
            limit_storage,
            per_email=settings.login_failures_per_email,
            per_ip=settings.login_failures_per_ip,
            window_seconds=settings.login_failure_window_seconds,
            max_wait_seconds=settings.login_failure_max_wait_seconds,
        )
        delivery = mailer or create_mailer(settings)
        job_queue = QueueSlot()
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            cache=create_cache(settings.cache_url),
            limit_storage=limit_storage,
            codec=codec,
            accounts=AccountService(sessions, codec, settings, QueuedMailer(job_queue, delivery), throttle),
            admin=AdminService(sessions),
            pages=LibraryPages(sessions),
            analytics=AnalyticsService(sessions),
            downloads=DownloadService(sessions, secret),
            job_queue=job_queue,
            job_runs=JobRuns(sessions),
            mailer=delivery,
            kept_libraries=ViewerLibraryCache(settings.viewer_library_cache_bytes),
        )

    async def close(self) -> None:
        if self.reader is not None:
            await self.reader.mirror.flush()  # what was read is mirrored before the engine goes
        if self.recommendations is not None:
            await self.recommendations.close()
        if self.chat is not None:
            await self.chat.engine.aclose()
        if self.upstreams is not None:
            await self.upstreams.close()
        await self.cache.close()
        await self.engine.dispose()
