"""Movie, Person, Genre and their parts, built from TMDb-shaped dicts.

Fields a list item already carries are plain attributes (no resolver cost); fields that need
the movie's details or its OMDb scores resolve through the request's DataLoaders.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import date
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from reelgraph.certifications import certification_in
from reelgraph.errors import BadUserInput
from reelgraph.integrations.tmdb import image_url
from reelgraph.loaders.library import EMPTY_LIBRARY, ViewerLibrary
from reelgraph.schema import ids
from reelgraph.schema.catalog.certifications import ReleaseDate, region_argument
from reelgraph.schema.catalog.external_ids import ExternalIds
from reelgraph.schema.catalog.inputs import TrendingSource
from reelgraph.schema.catalog.person_credits import CURSOR_KIND, PersonCreditConnection
from reelgraph.schema.context import Info
from reelgraph.schema.pagination import decode_cursor, or_default, page_size
from reelgraph.services import person_credits
from reelgraph.services.movie_lists import ListPage
from reelgraph.tmdb_payloads import imdb_id_of

if TYPE_CHECKING:
    from reelgraph.schema.library.types import InteractionKind, ReviewConnection

LIBRARY = "reelgraph.schema.library.types"

# Person.credits(department:): TMDb's departments are a word or two ("Visual Effects").
MAX_DEPARTMENT_LENGTH = 64

YOUTUBE = "https://www.youtube.com/watch?v="
VIMEO = "https://vimeo.com/"


@strawberry.enum
class ImageSize(Enum):
    SMALL = "SMALL"
    MEDIUM = "MEDIUM"
    LARGE = "LARGE"
    ORIGINAL = "ORIGINAL"


def _date(value: Any) -> date | None:
    if not value:
        return None
    return _parsed_date(str(value))


@lru_cache(maxsize=16_384)  # every list item has one; dates repeat from request to request
def _parsed_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _image(info: Info, path: str | None, size: ImageSize, kind: str) -> str | None:
    return image_url(info.context.services.reader.image_base, path, size.value, kind)  # type: ignore[arg-type]  # kind is one of image_url's literals


class TmdbNode(relay.Node):
    """A Node whose global id wraps its TMDb id (also exposed as the plain field tmdbId)."""

    @classmethod
    def resolve_id(cls, root: Any, *, info: Info) -> str:
        return str(root.tmdb_id)


@strawberry.type
class Genre(TmdbNode):
    tmdb_id: int
    name: str
    _language: strawberry.Private[str] = "en-US"

    @classmethod
    def of(cls, genre_id: int, names: dict[int, str], language: str) -> Genre:
        """A genre by id, named in `language` (an unknown id keeps its number as name)."""
        return cls(tmdb_id=genre_id, name=names.get(genre_id, str(genre_id)), _language=language)

    @classmethod
    def many(cls, genre_ids: Iterable[int], names: dict[int, str], language: str) -> list[Genre]:
        return [cls.of(genre_id, names, language) for genre_id in genre_ids]

    @strawberry.field
    async def movies(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        include_hidden: bool | None = False,
    ) -> MovieConnection:
        page = await info.context.services.browse.genre_movies(
            info.context.loaders, self.tmdb_id, page_size(first), after, bool(include_hidden), self._language
        )
        return MovieConnection.of_page(page, self._language)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        language = await info.context.language(None)
        names = await info.context.loaders.genre_names.load(language)
        keys = [ids.row_key(node_id) for node_id in node_ids]
        return [cls.of(key, names, language) if key is not None and key in names else None for key in keys]


# Genres are few and never change once made: movies share them rather than build their own.
_GENRES: dict[tuple[Any, Any, str], Genre] = {}
_MAX_GENRES = 4_096


def _genre(genre_id: Any, name: Any, language: str) -> Genre:
    key = (genre_id, name, language)
    genre = _GENRES.get(key)
    if genre is None:
        if len(_GENRES) >= _MAX_GENRES:
            _GENRES.clear()
        genre = _GENRES[key] = Genre(tmdb_id=int(genre_id), name=str(name), _language=language)
    return genre


@strawberry.type
class Video:
    key: str
    site: str
    name: str
    type: str
    official: bool

    @strawberry.field
    def url(self) -> str | None:
        if self.site == "YouTube":
            return YOUTUBE + self.key
        if self.site == "Vimeo":
            return VIMEO + self.key
        return None

    @classmethod
    def from_tmdb(cls, data: dict[str, Any]) -> Video:
        return cls(
            key=str(data.get("key", "")),
            site=str(data.get("site", "")),
            name=str(data.get("name", "")),
            type=str(data.get("type", "")),
            official=bool(data.get("official", False)),
        )


@strawberry.type
class WatchProvider:
    tmdb_id: int
    name: str
    _logo_path: strawberry.Private[str | None]

    @strawberry.field
    def logo_url(self, info: Info) -> str | None:
        return _image(info, self._logo_path, ImageSize.SMALL, "profile")


@strawberry.type
class WatchProviders:
    ads: list[WatchProvider] = strawberry.field(description="Free with advertising.")
    free: list[WatchProvider] = strawberry.field(description="Free, without advertising.")
    region: str
    link: str | None
    flatrate: list[WatchProvider]
    rent: list[WatchProvider]
    buy: list[WatchProvider]

    @classmethod
    def from_tmdb(cls, region: str, data: dict[str, Any]) -> WatchProviders:
        def providers(kind: str) -> list[WatchProvider]:
            return [
                WatchProvider(
                    tmdb_id=int(p["provider_id"]),
                    name=str(p.get("provider_name", "")),
                    _logo_path=p.get("logo_path"),
                )
                for p in sorted(data.get(kind, []), key=lambda p: p.get("display_priority", 0))
            ]

        return cls(
            ads=providers("ads"),
            free=providers("free"),
            region=region,
            link=data.get("link"),
            flatrate=providers("flatrate"),
            rent=providers("rent"),
            buy=providers("buy"),
        )


@strawberry.type
class Person(TmdbNode):
    tmdb_id: int
    name: str
    known_for_department: str | None
    popularity: float | None
    _profile_path: strawberry.Private[str | None]
    _language: strawberry.Private[str]
    _details: strawberry.Private[dict[str, Any] | None] = None

    @classmethod
    def from_tmdb(cls, data: dict[str, Any], language: str, details: bool = False) -> Person:
        return cls(
            tmdb_id=int(data["id"]),
            name=str(data.get("name", "")),
            known_for_department=data.get("known_for_department"),
            popularity=data.get("popularity"),
            _profile_path=data.get("profile_path"),
            _language=language,
            _details=data if details else None,
        )

    async def details(self, info: Info) -> dict[str, Any]:
        if self._details is None:
            self._details = await info.context.loaders.person.load((self.tmdb_id, self._language)) or {}
        return self._details

    @strawberry.field
    def profile_url(self, info: Info, size: ImageSize | None = ImageSize.MEDIUM) -> str | None:
        return _image(info, self._profile_path, size or ImageSize.MEDIUM, "profile")

    @strawberry.field
    async def biography(self, info: Info) -> str | None:
        return (await self.details(info)).get("biography") or None

    @strawberry.field
    async def birthday(self, info: Info) -> date | None:
        return _date((await self.details(info)).get("birthday"))

    @strawberry.field
    async def deathday(self, info: Info) -> date | None:
        return _date((await self.details(info)).get("deathday"))

    @strawberry.field
    async def place_of_birth(self, info: Info) -> str | None:
        return (await self.details(info)).get("place_of_birth") or None

    @strawberry.field
    async def movies(
        self, info: Info, first: int | None = 20, include_hidden: bool | None = False
    ) -> list[Movie]:
        items = await info.context.services.browse.person_movies(
            info.context.loaders,
            page_size(first),
            bool(include_hidden),
            self._language,
            await self.details(info),
        )
        return Movie.many(items, self._language)

    @strawberry.field
    async def external_ids(self, info: Info) -> ExternalIds:
        return ExternalIds.from_tmdb(await self.details(info))

    @strawberry.field(
        description=(
            'Cast and crew credits, newest first. department: "Acting" for the cast, else a crew '
            "department (any case). The signed-in viewer's hidden movies are left out, as in "
            "Person.movies by default, and a minor's age-inappropriate ones."
        )
    )
    async def credits(
        self, info: Info, department: str | None = None, first: int | None = 20, after: str | None = None
    ) -> PersonCreditConnection:
        size = page_size(first)
        wanted = department.strip() if department is not None else None
        if wanted is not None and not 0 < len(wanted) <= MAX_DEPARTMENT_LENGTH:
            raise BadUserInput(
                f"department must be 1 to {MAX_DEPARTMENT_LENGTH} characters.", field="department"
            )
        owner = (self.tmdb_id, wanted.casefold() if wanted else None)
        position = decode_cursor(after, CURSOR_KIND, owner=owner)
        page = await person_credits.credits_page(
            info.context.loaders, await self.details(info), wanted, size, position or 0, self._language
        )
        return PersonCreditConnection.of_page(
            page, lambda item: Movie.from_tmdb(item, self._language), position is not None, owner
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        language = await info.context.language(None)
        found = await ids.load_by_keys(
            node_ids,
            ids.row_key,
            lambda keys: info.context.loaders.person.load_many([(k, language) for k in keys]),
        )
        return [cls.from_tmdb(data, language, details=True) if data else None for data in found]


@strawberry.type
class CastCredit:
    person: Person
    character: str | None
    order: int


@strawberry.type
class CrewCredit:
    person: Person
    job: str
    department: str


@strawberry.type
class Movie(TmdbNode):
    tmdb_id: int
    title: str
    original_title: str | None
    original_language: str | None
    overview: str | None
    release_date: date | None
    year: int | None
    popularity: float | None
    vote_average: float | None
    vote_count: int | None
    genres: list[Genre] = strawberry.field(description="In TMDb order: the first is the primary genre.")
    _poster_path: strawberry.Private[str | None]
    _backdrop_path: strawberry.Private[str | None]
    _language: strawberry.Private[str]
    _details: strawberry.Private[dict[str, Any] | None] = None

    @classmethod
    def from_tmdb(cls, data: dict[str, Any], language: str) -> Movie:
        # Once per movie of every list: one lookup function, shared genres, cached dates.
        get = data.get
        released = _date(get("release_date"))
        vote_count = get("vote_count")
        return cls(
            tmdb_id=int(data["id"]),
            title=str(get("title") or get("original_title") or ""),
            original_title=get("original_title"),
            original_language=get("original_language") or None,
            overview=get("overview") or None,
            release_date=released,
            year=released.year if released else None,
            popularity=get("popularity"),
            # TMDb sends 0 for a movie nobody voted on: no average, not a zero one.
            vote_average=None if vote_count == 0 else get("vote_average"),
            vote_count=vote_count,
            genres=[_genre(g["id"], g["name"], language) for g in get("genres", ())],
            _poster_path=get("poster_path"),
            _backdrop_path=get("backdrop_path"),
            _language=language,
            _details=data if "runtime" in data or "credits" in data else None,
        )

    @classmethod
    def many(cls, items: Iterable[dict[str, Any]], language: str) -> list[Movie]:
        return [cls.from_tmdb(item, language) for item in items]

    @classmethod
    async def load(cls, info: Info, movie_id: int) -> Movie:
        """A stored row's movie, in the request language; a bare '#id' if TMDb forgot it."""
        language = await info.context.language(None)
        details = await info.context.loaders.movie.load((movie_id, language))
        return cls.from_tmdb(details or {"id": movie_id, "title": f"#{movie_id}"}, language)

    async def details(self, info: Info) -> dict[str, Any]:
        if self._details is None:
            self._details = await info.context.loaders.movie.load((self.tmdb_id, self._language)) or {}
        return self._details

    async def scores(self, info: Info) -> dict[str, Any]:
        imdb_id = imdb_id_of(await self.details(info))
        if not imdb_id:
            return {}
        return await info.context.loaders.scores.load((self.tmdb_id, imdb_id)) or {}

    @strawberry.field
    async def imdb_id(self, info: Info) -> str | None:
        return imdb_id_of(await self.details(info))

    @strawberry.field
    async def tagline(self, info: Info) -> str | None:
        return (await self.details(info)).get("tagline") or None

    @strawberry.field(description="Minutes.")
    async def runtime(self, info: Info) -> int | None:
        return (await self.details(info)).get("runtime") or None

    @strawberry.field
    def poster_url(self, info: Info, size: ImageSize | None = ImageSize.MEDIUM) -> str | None:
        return _image(info, self._poster_path, size or ImageSize.MEDIUM, "poster")

    @strawberry.field
    def backdrop_url(self, info: Info, size: ImageSize | None = ImageSize.LARGE) -> str | None:
        return _image(info, self._backdrop_path, size or ImageSize.LARGE, "backdrop")

    @strawberry.field
    async def imdb_rating(self, info: Info) -> float | None:
        return (await self.scores(info)).get("imdb_rating")

    @strawberry.field
    async def imdb_votes(self, info: Info) -> int | None:
        return (await self.scores(info)).get("imdb_votes")

    @strawberry.field
    async def metascore(self, info: Info) -> int | None:
        return (await self.scores(info)).get("metascore")

    @strawberry.field
    async def rotten_tomatoes_score(self, info: Info) -> int | None:
        return (await self.scores(info)).get("rotten_tomatoes")

    @strawberry.field
    async def keywords(self, info: Info) -> list[str]:
        keywords = (await self.details(info)).get("keywords") or {}
        return [str(k["name"]) for k in keywords.get("keywords", [])]

    @strawberry.field
    async def cast(self, info: Info, first: int | None = 10) -> list[CastCredit]:
        first = or_default(first, 10)
        credits = (await self.details(info)).get("credits") or {}
        ordered = sorted(credits.get("cast", []), key=lambda c: c.get("order", 0))
        return [
            CastCredit(
                person=Person.from_tmdb(c, self._language),
                character=c.get("character") or None,
                order=int(c.get("order", 0)),
            )
            for c in ordered[: max(first, 0)]
        ]

    @strawberry.field
    async def crew(self, info: Info, jobs: list[str] | None = None) -> list[CrewCredit]:
        credits = (await self.details(info)).get("credits") or {}
        wanted = {job.lower() for job in jobs} if jobs is not None else None
        return [
            CrewCredit(
                person=Person.from_tmdb(c, self._language),
                job=str(c.get("job", "")),
                department=str(c.get("department", "")),
            )
            for c in credits.get("crew", [])
            if wanted is None or str(c.get("job", "")).lower() in wanted
        ]

    @strawberry.field
    async def directors(self, info: Info) -> list[Person]:
        credits = (await self.details(info)).get("credits") or {}
        seen: set[int] = set()
        directors = []
        for c in credits.get("crew", []):
            if c.get("job") == "Director" and c["id"] not in seen:
                seen.add(c["id"])
                directors.append(Person.from_tmdb(c, self._language))
        return directors

    @strawberry.field
    async def videos(self, info: Info) -> list[Video]:
        videos = (await self.details(info)).get("videos") or {}
        return [Video.from_tmdb(v) for v in videos.get("results", [])]

    @strawberry.field
    async def trailer(self, info: Info) -> Video | None:
        videos = [
            Video.from_tmdb(v) for v in ((await self.details(info)).get("videos") or {}).get("results", [])
        ]
        # Prefer official YouTube trailers, then any trailer, then a teaser.
        preferences: tuple[Callable[[Video], bool], ...] = (
            lambda v: v.type == "Trailer" and v.official and v.site == "YouTube",
            lambda v: v.type == "Trailer" and v.site == "YouTube",
            lambda v: v.type == "Trailer",
            lambda v: v.type == "Teaser",
        )
        for accept in preferences:
            for video in videos:
                if accept(video):
                    return video
        return None

    @strawberry.field
    async def watch_providers(self, info: Info, region: str | None = "US") -> WatchProviders | None:
        region = region or "US"
        providers = ((await self.details(info)).get("watch/providers") or {}).get("results", {})
        data = providers.get(region.upper())
        return WatchProviders.from_tmdb(region.upper(), data) if data else None

    @strawberry.field
    async def similar(
        self, info: Info, first: int | None = 20, include_hidden: bool | None = False
    ) -> list[Movie]:
        items = await info.context.services.browse.related(
            info.context.loaders,
            self.tmdb_id,
            "similar",
            page_size(first),
            bool(include_hidden),
            self._language,
            await self.details(info),
        )
        return Movie.many(items, self._language)

    @strawberry.field
    async def recommendations(
        self, info: Info, first: int | None = 20, include_hidden: bool | None = False
    ) -> list[Movie]:
        # TMDb's list interleaved with this server's own item-item neighbours.
        items = await info.context.services.browse.recommended(
            info.context.loaders,
            self.tmdb_id,
            page_size(first),
            bool(include_hidden),
            self._language,
            await self.details(info),
        )
        return Movie.many(items, self._language)

    @strawberry.field
    async def reviews(
        self, info: Info, first: int | None = 10, after: str | None = None
    ) -> Annotated[ReviewConnection, strawberry.lazy(LIBRARY)]:
        from reelgraph.schema.library.types import (  # Review names Movie: one of the two must wait
            Review,
            ReviewConnection,
        )

        pages = info.context.services.pages
        connection: ReviewConnection = await ReviewConnection.from_rows(
            "review",
            first,
            after,
            lambda position, limit: pages.reviews_of(self.tmdb_id, position, limit),
            Review.from_row,
            default_first=10,
            owner=("movie", self.tmdb_id),
        )
        return connection

    @strawberry.field(description="Mean of this server's users' ratings, 0.5-5.")
    async def average_user_rating(self, info: Info) -> float | None:
        average = await info.context.loaders.average_rating.load(self.tmdb_id)
        return round(average, 2) if average is not None else None

    # The viewer fields read the request's library (one query, shared by every movie): once it is
    # read (a list's hidden set reads it first) they answer synchronously, a dict lookup per movie;
    # before that, they return the read to await. graphql_type: the Python return is either.

    @strawberry.field(
        description="The signed-in viewer's interactions with this movie; empty when anonymous.",
        graphql_type=list[Annotated["InteractionKind", strawberry.lazy(LIBRARY)]],
    )
    def viewer_interactions(self, info: Info) -> list[InteractionKind] | Awaitable[list[InteractionKind]]:
        library = _viewer_library_now(info)
        if library is None:
            return self._viewer_interactions_later(info)
        return _interaction_kinds(library.kinds_of(self.tmdb_id))

    async def _viewer_interactions_later(self, info: Info) -> list[InteractionKind]:
        return _interaction_kinds((await info.context.loaders.library.load()).kinds_of(self.tmdb_id))

    @strawberry.field(graphql_type=float | None)
    def viewer_rating(self, info: Info) -> float | Awaitable[float | None] | None:
        library = _viewer_library_now(info)
        if library is None:
            return self._viewer_rating_later(info)
        return library.ratings.get(self.tmdb_id)

    async def _viewer_rating_later(self, info: Info) -> float | None:
        return (await info.context.loaders.library.load()).ratings.get(self.tmdb_id)

    # -- release dates and certifications (TMDb's release_dates: one cached read per movie, in
    # every language, made only when one of these fields is asked for) --

    async def release_dates_body(self, info: Info) -> dict[str, Any] | None:
        if self._details is None and info.context.loaders.movie.extra_parts:
            await self.details(info)  # this operation's details requests append them
        embedded = self._details.get("release_dates") if self._details else None
        if isinstance(embedded, dict):
            return embedded
        return await info.context.loaders.release_dates.load(self.tmdb_id)

    @strawberry.field(description="Release dates and certifications; all regions when region is null.")
    async def release_dates(self, info: Info, region: str | None = None) -> list[ReleaseDate]:
        code = region_argument(region) if region is not None else None
        return ReleaseDate.many_from_tmdb(await self.release_dates_body(info), code)

    @strawberry.field
    async def certification(self, info: Info, region: str | None = "US") -> str | None:
        code = region_argument(region or "US")
        return certification_in(await self.release_dates_body(info), code)

    @strawberry.field
    async def external_ids(self, info: Info) -> ExternalIds:
        return ExternalIds.from_tmdb(await self.details(info))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        language = await info.context.language(None)
        found = await ids.load_by_keys(
            node_ids,
            ids.row_key,
            lambda keys: info.context.loaders.movie.load_many([(k, language) for k in keys]),
        )
        return [cls.from_tmdb(data, language) if data else None for data in found]


def _viewer_library_now(info: Info) -> ViewerLibrary | None:
    """The request's viewer library if known without waiting: empty for a request without a
    token, the library once read; None while it still has to be read."""
    if info.context.authorization() is None:
        return EMPTY_LIBRARY
    return info.context.loaders.library.ready


def _interaction_kinds(kinds: list[str]) -> list[InteractionKind]:
    if not kinds:
        return []
    from reelgraph.schema.library.types import InteractionKind  # Interaction names Movie: lazy

    return [InteractionKind(kind) for kind in kinds]


def page_info_of(page: ListPage) -> relay.PageInfo:
    return relay.PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.end_cursor,
    )


@strawberry.type
class MovieEdge:
    cursor: str
    node: Movie


@strawberry.type
class MovieConnection:
    edges: list[MovieEdge]
    nodes: list[Movie]
    page_info: relay.PageInfo
    total_count: int | None = strawberry.field(
        description=(
            "How many movies the list holds (counting the viewer's hidden ones), exact, or null when "
            "unknown: a discover filtered here (PRIMARY genres, IMDb filters) is null unless one "
            "request read it to its end."
        )
    )
    source: TrendingSource | None = strawberry.field(
        default=None, description="Which source answered a trending list; null for other lists."
    )

    @classmethod
    def of_page(cls, page: ListPage, language: str, source: TrendingSource | None = None) -> MovieConnection:
        edges = [
            MovieEdge(cursor=cursor, node=Movie.from_tmdb(item, language))
            for item, cursor in zip(page.items, page.cursors, strict=True)
        ]
        return cls(
            edges=edges,
            nodes=[edge.node for edge in edges],
            page_info=page_info_of(page),
            total_count=page.total_count,
            source=source,
        )


SearchResult = Annotated[Movie | Person, strawberry.union("SearchResult")]


@strawberry.type
class SearchResultEdge:
    cursor: str
    node: SearchResult


@strawberry.type
class SearchResultConnection:
    edges: list[SearchResultEdge]
    nodes: list[SearchResult]
    page_info: relay.PageInfo
    total_count: int | None = strawberry.field(
        description="Movies and people found (counting the viewer's hidden movies), exact, or null when unknown."
    )

    @classmethod
    def of_page(cls, page: ListPage, language: str) -> SearchResultConnection:
        nodes: list[Movie | Person] = [
            Movie.from_tmdb(item, language)
            if item["media_type"] == "movie"
            else Person.from_tmdb(item, language)
            for item in page.items
        ]
        edges = [SearchResultEdge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)]
        return cls(edges=edges, nodes=nodes, page_info=page_info_of(page), total_count=page.total_count)
