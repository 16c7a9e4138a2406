"""Per-request loaders: one `XByYLoader` per access path, made fresh for every request.

They sit on top of reelgraph.integrations and reelgraph.persistence and never call services.
"""

from __future__ import annotations

from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.loaders.catalog import (
    GenreNamesByLanguageLoader,
    MovieByIdLoader,
    PersonByIdLoader,
    ReleaseDatesByMovieLoader,
    ScoresByImdbIdLoader,
)
from reelgraph.loaders.catalog_reader import CatalogReader
from reelgraph.loaders.library import (
    AverageRatingByMovieLoader,
    HiddenMoviesOfViewer,
    ViewerId,
    ViewerLibraryLoader,
)
from reelgraph.loaders.users import InteractionByIdLoader, ReviewByIdLoader, RolesByUserLoader, UserByIdLoader
from reelgraph.loaders.viewer_audience import ViewerAudienceOfViewer, ViewerUser
from reelgraph.loaders.viewer_library_cache import ViewerLibraryCache


class RequestLoaders:
    """Each loader is made when first used: a request reads a few of them, and making all of
    them on every request was a measurable share of a cheap one."""

    def __init__(
        self,
        reader: CatalogReader | None,
        sessions: async_sessionmaker[AsyncSession],
        viewer_id: ViewerId,
        viewer_user: ViewerUser | None = None,
        kept_libraries: ViewerLibraryCache | None = None,
    ) -> None:
        # reader is None only for servers opened without the catalog (CLI account commands).
        self._catalog: CatalogReader = reader  # type: ignore[assignment]  # catalog loaders then go unused
        self._sessions = sessions
        self._viewer_id = viewer_id
        self._viewer_user = viewer_user
        # Process-wide (the services'); a request made without one keeps nothing.
        self._kept_libraries = kept_libraries or ViewerLibraryCache(0)

    @classmethod
    def create(
        cls,
        reader: CatalogReader | None,
        sessions: async_sessionmaker[AsyncSession],
        viewer_id: ViewerId,
        viewer_user: ViewerUser | None = None,
        kept_libraries: ViewerLibraryCache | None = None,
    ) -> RequestLoaders:
        return cls(reader, sessions, viewer_id, viewer_user, kept_libraries)

    @cached_property
    def movie(self) -> MovieByIdLoader:
        return MovieByIdLoader(self._catalog)

    @cached_property
    def person(self) -> PersonByIdLoader:
        return PersonByIdLoader(self._catalog)

    @cached_property
    def scores(self) -> ScoresByImdbIdLoader:
        return ScoresByImdbIdLoader(self._catalog)

    @cached_property
    def genre_names(self) -> GenreNamesByLanguageLoader:
        return GenreNamesByLanguageLoader(self._catalog)

    @cached_property
    def library(self) -> ViewerLibraryLoader:
        """The viewer's interactions and ratings: one read per request."""
        return ViewerLibraryLoader(self._sessions, self._viewer_id, self._kept_libraries)

    @cached_property
    def average_rating(self) -> AverageRatingByMovieLoader:
        return AverageRatingByMovieLoader(self._sessions)

    @cached_property
    def hidden_movies(self) -> HiddenMoviesOfViewer:
        return HiddenMoviesOfViewer(self.library)

    @cached_property
    def roles(self) -> RolesByUserLoader:
        return RolesByUserLoader(self._sessions)

    @cached_property
    def user(self) -> UserByIdLoader:
        return UserByIdLoader(self._sessions)

    @cached_property
    def review(self) -> ReviewByIdLoader:
        return ReviewByIdLoader(self._sessions)

    @cached_property
    def interaction(self) -> InteractionByIdLoader:
        return InteractionByIdLoader(self._sessions)

    @cached_property
    def release_dates(self) -> ReleaseDatesByMovieLoader:
        return ReleaseDatesByMovieLoader(self._catalog)

    @cached_property
    def audience(self) -> ViewerAudienceOfViewer:
        return ViewerAudienceOfViewer(self._sessions, self._viewer_id, self._viewer_user)

    def forget_library(self) -> None:
        """After a library mutation: what this request reads next must reflect it."""
        made = self.__dict__  # a loader never made holds nothing to forget
        if "library" in made:
            self.library.clear()
        if "audience" in made:
            self.audience.clear()  # also read again: an earlier updateProfile may have changed it
        if "average_rating" in made:
            self.average_rating.clear_all()
