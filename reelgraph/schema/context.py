"""Per-request context: shared services, the viewer (resolved at most once), the request's
language, and fresh DataLoaders."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from reelgraph.auth.viewer import Viewer, resolve_viewer
from reelgraph.errors import BadUserInput, Unauthenticated
from reelgraph.loaders import RequestLoaders
from reelgraph.persistence.models import UserRow
from reelgraph.services.container import Services

DEFAULT_LANGUAGE = "en-US"
_LANGUAGE_RE = re.compile(r"^([a-zA-Z]{2})(?:[-_]([a-zA-Z]{2}))?$")
# A bare language gets the region TMDb translations are usually filed under.
_DEFAULT_REGIONS = {"en": "US", "fr": "FR", "de": "DE", "es": "ES", "it": "IT", "pt": "BR", "ja": "JP"}


def normalise_language(tag: str) -> str | None:
    match = _LANGUAGE_RE.match(tag.strip())
    if not match:
        return None
    language, region = match.group(1).lower(), match.group(2)
    region = region.upper() if region else _DEFAULT_REGIONS.get(language)
    return f"{language}-{region}" if region else language


def language_from_header(header: str | None) -> str | None:
    """The best language of an Accept-Language header, honouring q-values."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        normalised = normalise_language(tag) if tag.strip() != "*" else None
        if normalised and quality > 0:
            ranked.append((-quality, index, normalised))
    return min(ranked)[2] if ranked else None


@dataclass
class Context:
    services: Services
    request: HTTPConnection
    loaders: RequestLoaders = field(init=False)
    _viewer_task: asyncio.Task[Viewer | None] | None = field(default=None, repr=False)
    _default_language: str | None = field(default=None, repr=False)
    # Set by the ResponseCacheMarker extension: a query that succeeded may be served from cache.
    cacheable_response: bool = False
    # Set by the HTTP view once the request's JSON holds no refused character (see HostileStrings).
    request_json_checked: bool = False
    # graphql-transport-ws: the connection_init payload, where browsers put {"Authorization": ...}.
    connection_params: dict[str, object] | None = None

    @classmethod
    def create(cls, services: Services, request: HTTPConnection) -> Context:
        context = cls(services=services, request=request)
        context.loaders = RequestLoaders.create(
            services.reader,
            services.sessions,
            context.viewer_id,
            context.viewer_user,
            services.kept_libraries,
        )
        return context

    async def viewer_id(self) -> int | None:
        viewer = await self.viewer()
        return viewer.id if viewer else None

    async def viewer_user(self) -> UserRow | None:
        """The viewer's row as resolved (the age gate reads it: no query of its own)."""
        viewer = await self.viewer()
        return viewer.user if viewer else None

    @property
    def client_ip(self) -> str:
        return self.request.client.host if self.request.client else "unknown"

    async def viewer(self) -> Viewer | None:
        """The signed-in user or None; a bad token raises UNAUTHENTICATED wherever it is asked for."""
        if self._viewer_task is None:
            # One task shared by concurrent resolvers: the token is checked and the user loaded once.
            self._viewer_task = asyncio.ensure_future(
                resolve_viewer(
                    self.authorization(),
                    self.services.codec,
                    self.services.sessions,
                    self._prefetch_library,  # the viewer's library in the same session
                )
            )
            # Its error reaches every resolver that awaits it; when those were all cancelled first
            # (another field failed), retrieving it here keeps asyncio from logging it as lost.
            self._viewer_task.add_done_callback(lambda task: task.cancelled() or task.exception())
        return await asyncio.shield(self._viewer_task)

    async def _prefetch_library(self, session: AsyncSession, user_id: int, library_version: int) -> None:
        # Reached only once a token is good: an anonymous request makes no library loader.
        await self.loaders.library.prefetch(session, user_id, library_version)

    def authorization(self) -> str | None:
        """The Authorization header, or for WebSocket connections its connection_init parameter."""
        header = self.request.headers.get("authorization")
        if header is None and isinstance(self.connection_params, dict):
            # WebSocket clients cannot set headers from a browser: they send it at connection_init.
            value = self.connection_params.get("Authorization") or self.connection_params.get("authorization")
            header = str(value) if value else None
        return header

    async def signed_in_viewer(self) -> Viewer:
        """The viewer of a field guarded by IsAuthenticated (UNAUTHENTICATED should it be missing)."""
        viewer = await self.viewer()
        if viewer is None:
            raise Unauthenticated("Sign in to do this.")
        return viewer

    async def caller_key(self) -> str:
        """Whose budget a per-caller limit spends: the viewer's, else the client address's."""
        viewer = await self.viewer()
        return f"user:{viewer.id}" if viewer else f"ip:{self.client_ip}"

    async def language(self, requested: str | None) -> str:
        """The argument, else the viewer's locale, else Accept-Language, else en-US."""
        if requested is not None:
            normalised = normalise_language(requested)
            if normalised is None:
                raise BadUserInput("language must be a tag such as 'en-US' or 'fr-FR'.", field="language")
            return normalised
        if self._default_language is None:
            viewer = await self.viewer()
            self._default_language = (
                (viewer.user.locale if viewer else None)
                or language_from_header(self.request.headers.get("accept-language"))
                or DEFAULT_LANGUAGE
            )
        return self._default_language


# What every resolver receives: `info.context` is a Context.
Info = strawberry.Info[Context, None]
