"""Long-lived objects opened once per process (in the app lifespan) and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass

from aiocache import BaseCache
from limits.aio.storage import Storage
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from reelgraph.auth.tokens import TokenCodec
from reelgraph.cache import create_cache
from reelgraph.config import Settings
from reelgraph.mail import Mailer, create_mailer
from reelgraph.persistence.engine import create_engine, create_session_factory
from reelgraph.services.accounts import AccountService
from reelgraph.services.admin import AdminService
from reelgraph.throttle import LoginThrottle, create_limit_storage


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

    @classmethod
    def create(cls, settings: Settings, mailer: Mailer | None = None) -> Services:
        engine = create_engine(settings.database_url)
        sessions = create_session_factory(engine)
        codec = TokenCodec(
            settings.resolved_jwt_secret(), settings.jwt_algorithm, settings.access_token_ttl_seconds
        )
        limit_storage = create_limit_storage(settings.cache_url)
        throttle = LoginThrottle(
            limit_storage,
            per_email=settings.login_failures_per_email,
            per_ip=settings.login_failures_per_ip,
            window_seconds=settings.login_failure_window_seconds,
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            cache=create_cache(settings.cache_url),
            limit_storage=limit_storage,
            codec=codec,
            accounts=AccountService(sessions, codec, settings, mailer or create_mailer(settings), throttle),
            admin=AdminService(sessions),
        )

    async def close(self) -> None:
        await self.cache.close()
        await self.engine.dispose()
