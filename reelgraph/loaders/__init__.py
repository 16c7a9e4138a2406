"""Per-request loaders: one `XByYLoader` per access path, made fresh for every request.

They sit on top of reelgraph.integrations and reelgraph.persistence and never call services.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass
class RequestLoaders:
    movie: MovieByIdLoader
    person: PersonByIdLoader
    scores: ScoresByImdbIdLoader
    genre_names: GenreNamesByLanguageLoader
    library: ViewerLibraryLoader  # the viewer's interactions and ratings: one read per request
    average_rating: AverageRatingByMovieLoader
    hidden_movies: HiddenMoviesOfViewer
    roles: RolesByUserLoader
    user: UserByIdLoader
    review: ReviewByIdLoader
    interaction: InteractionByIdLoader
    release_dates: ReleaseDatesByMovieLoader
    audience: ViewerAudienceOfViewer

    @classmethod
    def create(
        cls,
        reader: CatalogReader | None,
        sessions: async_sessionmaker[AsyncSession],
        viewer_id: ViewerId,
        viewer_user: ViewerUser | None = None,
    ) -> RequestLoaders:
        # reader is None only for servers opened without the catalog (CLI account commands).
        catalog: CatalogReader = reader  # type: ignore[assignment]  # catalog loaders then go unused
        library = ViewerLibraryLoader(sessions, viewer_id)
        return cls(
            movie=MovieByIdLoader(catalog),
            person=PersonByIdLoader(catalog),
            scores=ScoresByImdbIdLoader(catalog),
            genre_names=GenreNamesByLanguageLoader(catalog),
            library=library,
            average_rating=AverageRatingByMovieLoader(sessions),
            hidden_movies=HiddenMoviesOfViewer(library),
            roles=RolesByUserLoader(sessions),
            user=UserByIdLoader(sessions),
            review=ReviewByIdLoader(sessions),
            interaction=InteractionByIdLoader(sessions),
            release_dates=ReleaseDatesByMovieLoader(catalog),
            audience=ViewerAudienceOfViewer(sessions, viewer_id, viewer_user),
        )

    def forget_library(self) -> None:
        """After a library mutation: what this request reads next must reflect it."""
        self.library.clear()
        self.audience.clear()  # also read again: an earlier updateProfile may have changed it
        self.average_rating.clear_all()
