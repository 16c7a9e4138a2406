"""Per-request context: shared services, the viewer (resolved at most once) and fresh DataLoaders."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection
from strawberry.dataloader import DataLoader

from reelgraph.auth.viewer import Viewer, resolve_viewer
from reelgraph.errors import Unauthenticated
from reelgraph.loaders.users import make_roles_loader
from reelgraph.services.container import Services


@dataclass
class Loaders:
    roles: DataLoader[int, list[str]]


@dataclass
class Context:
    services: Services
    request: HTTPConnection
    loaders: Loaders
    _viewer_task: asyncio.Task[Viewer | None] | None = field(default=None, repr=False)

    @classmethod
    def create(cls, services: Services, request: HTTPConnection) -> Context:
        return cls(
            services=services, request=request, loaders=Loaders(roles=make_roles_loader(services.sessions))
        )

    @property
    def client_ip(self) -> str:
        return self.request.client.host if self.request.client else "unknown"

    async def viewer(self) -> Viewer | None:
        """The signed-in user or None; a bad token raises UNAUTHENTICATED wherever it is asked for."""
        if self._viewer_task is None:
            # One task shared by concurrent resolvers: the token is checked and the user loaded once.
            self._viewer_task = asyncio.ensure_future(
                resolve_viewer(
                    self.request.headers.get("authorization"), self.services.codec, self.services.sessions
                )
            )
        return await asyncio.shield(self._viewer_task)

    async def require_viewer(self) -> Viewer:
        viewer = await self.viewer()
        if viewer is None:
            raise Unauthenticated("Sign in to do this.")
        return viewer
