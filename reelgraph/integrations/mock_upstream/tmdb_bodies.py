"""TMDb v3 JSON bodies built from the offline catalog (lists, details, credits, people)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from reelgraph.integrations.mock_upstream.pages import FIXED_PAGES, PageLayout
from reelgraph.integrations.mock_upstream.quirks import NO_QUIRKS, RealApiQuirks
from reelgraph.integrations.mock_upstream.release_dates import release_dates
from reelgraph.integrations.mock_upstream.tables import LANGUAGE_NAMES
from reelgraph.integrations.mock_upstream.watch_offers import watch_offers
from reelgraph.integrations.offline_catalog import CastCredit, CrewCredit, Movie, OfflineCatalog, Person

JsonDict = dict[str, Any]
_Item = TypeVar("_Item")


def page_of(items: Sequence[_Item], page: int, layout: PageLayout = FIXED_PAGES) -> Sequence[_Item]:
    """The ``page``-th page of ``items`` (pages start at 1)."""
    return layout.slice(items, page)


def paged(
    page: int, total: int, results: list[JsonDict], *, layout: PageLayout = FIXED_PAGES, **extra: Any
) -> JsonDict:
    """TMDb's paged list envelope."""
    return {
        "page": page,
        "results": results,
        "total_pages": layout.total_pages(total),
        "total_results": total,
        **extra,
    }


def credit_id(movie_id: int, person_id: int, kind: int) -> str:
    """A stable 24-hex credit id, shaped like TMDb's (which are Mongo ObjectIds)."""
    return f"{movie_id:012x}{person_id:08x}{kind:04x}"[-24:]


# Crew credit ids continue after the cast's, so every credit of a movie has its own.
_CREW_CREDIT_KIND = 0x8000


def _cast_credit(base: JsonDict, movie_id: int, credit: CastCredit, index: int) -> JsonDict:
    # An unknown character is "" (the catalog stores it so), as TMDb sends it, never null.
    return {
        **base,
        "character": credit.character,
        "credit_id": credit_id(movie_id, credit.person_id, index),
        "order": credit.order,
    }


def _crew_credit(base: JsonDict, movie_id: int, credit: CrewCredit, index: int) -> JsonDict:
    return {
        **base,
        "credit_id": credit_id(movie_id, credit.person_id, _CREW_CREDIT_KIND + index),
        "department": credit.department,
        "job": credit.job,
    }


class TmdbResponses:
    """Builds TMDb v3 JSON bodies from the catalog. List items are built once per movie."""

    def __init__(self, catalog: OfflineCatalog, quirks: RealApiQuirks = NO_QUIRKS) -> None:
        self.catalog = catalog
        self.quirks = quirks
        self.pages = PageLayout(variable=quirks.variable_pages)
        self._items: dict[int, JsonDict] = {}

    def _votes(self, movie: Movie) -> JsonDict:
        # TMDb sends an integer 0 average for a movie nobody voted on.
        if self.quirks.unvoted(movie.id):
            return {"vote_average": 0, "vote_count": 0}
        return {"vote_average": movie.vote_average, "vote_count": movie.vote_count}

    def item(self, movie: Movie) -> JsonDict:
        """TMDb list item; shared between responses, so callers copy before adding keys."""
        cached = self._items.get(movie.id)
        if cached is None:
            cached = {
                "adult": False,
                "backdrop_path": None,
                "genre_ids": list(movie.genre_ids),
                "id": movie.id,
                "original_language": movie.original_language,
                "original_title": movie.original_title,
                "overview": movie.overview,
                "popularity": movie.popularity,
                "poster_path": movie.poster_path,
                "release_date": movie.release_date,
                "title": movie.title,
                "video": False,
                **self._votes(movie),
            }
            self._items[movie.id] = cached
        return cached

    def envelope(self, movie_ids: Sequence[int], page: int, **extra: Any) -> JsonDict:
        movies = self.catalog.movies(page_of(movie_ids, page, self.pages))
        media_type = extra.pop("media_type", None)  # trending items say what they are
        results = [
            self.item(m) if media_type is None else {**self.item(m), "media_type": media_type} for m in movies
        ]
        return paged(page, len(movie_ids), results, layout=self.pages, **extra)

    def person_summary(self, person: Person) -> JsonDict:
        return {
            "adult": False,
            "gender": 0,
            "id": person.id,
            "known_for_department": person.known_for_department,
            "name": person.name,
            "original_name": person.name,
            "popularity": person.popularity,
            "profile_path": None,
        }

    def credits(self, movie: Movie) -> JsonDict:
        people = self.catalog.person
        cast = [
            _cast_credit({**self.person_summary(person), "cast_id": index + 1}, movie.id, credit, index)
            for index, credit in enumerate(movie.cast)
            if (person := people(credit.person_id)) is not None
        ]
        crew = [
            _crew_credit(self.person_summary(person), movie.id, credit, index)
            for index, credit in enumerate(movie.crew)
            if (person := people(credit.person_id)) is not None
        ]
        return {"cast": cast, "crew": crew}

    def movie_part(self, movie: Movie, part: str, page: int = 1) -> JsonDict | None:
        """One ``append_to_response`` part (or sub-resource) of a movie; None if unknown."""
        match part:
            case "credits":
                return self.credits(movie)
            case "videos":
                return {"results": []}
            case "images":
                return {"backdrops": [], "logos": [], "posters": []}
            case "keywords":
                return {"keywords": [{"id": k.id, "name": k.name} for k in self.catalog.keywords_of(movie)]}
            case "external_ids":
                return {
                    "imdb_id": movie.imdb_id,
                    "wikidata_id": None,
                    "facebook_id": None,
                    "instagram_id": None,
                    "twitter_id": None,
                }
            case "alternative_titles":
                return {"titles": [{"iso_3166_1": "", "title": t, "type": ""} for t in movie.alt_titles]}
            case "release_dates":
                return release_dates(movie)
            case "watch/providers":
                return watch_offers(movie.id) if self.quirks.provider_offers else {"results": {}}
            case "similar":
                return self.envelope(self.catalog.similar(movie.id), page)
            case "recommendations":
                # Unlike similar, TMDb's recommendations say what each item is.
                return self.envelope(self.catalog.recommendations(movie.id), page, media_type="movie")
        return None

    def movie_details(self, movie: Movie, language: str | None, append: Sequence[str]) -> JsonDict:
        body: JsonDict = {
            "adult": False,
            "backdrop_path": None,
            "belongs_to_collection": None,
            "budget": movie.budget,
            "genres": [
                {"id": g.id, "name": g.localized(language)}
                for gid in movie.genre_ids
                if (g := self.catalog.genre(gid)) is not None
            ],
            "homepage": movie.homepage,
            "id": movie.id,
            "imdb_id": movie.imdb_id,
            "original_language": movie.original_language,
            "original_title": movie.original_title,
            "overview": movie.overview,
            "popularity": movie.popularity,
            "poster_path": movie.poster_path,
            "production_companies": [
                {"id": c["id"], "logo_path": None, "name": c["name"], "origin_country": ""}
                for c in movie.production_companies
            ],
            "production_countries": list(movie.production_countries),
            "release_date": movie.release_date,
            "revenue": movie.revenue,
            "runtime": movie.runtime or 0,  # TMDb's "unknown", never null
            "spoken_languages": [
                {
                    "english_name": LANGUAGE_NAMES.get(s["iso_639_1"], s["name"]),
                    "iso_639_1": s["iso_639_1"],
                    "name": s["name"],
                }
                for s in movie.spoken_languages
            ],
            "status": movie.status,
            "tagline": movie.tagline,
            "title": movie.title,
            "video": False,
            **self._votes(movie),
        }
        for part in append:
            value = self.movie_part(movie, part)
            if value is not None:
                body[part] = value
        return body

    def movie_credits_of(self, person: Person) -> JsonDict:
        """Every role: one cast item per character played, one crew item per job."""
        cast = [
            _cast_credit(self.item(movie), movie.id, credit, index)
            for movie in self.catalog.movies(person.cast_movie_ids)
            for index, credit in enumerate(movie.cast)
            if credit.person_id == person.id
        ]
        crew = [
            _crew_credit(self.item(movie), movie.id, credit, index)
            for movie in self.catalog.movies(person.crew_movie_ids)
            for index, credit in enumerate(movie.crew)
            if credit.person_id == person.id
        ]
        return {"cast": cast, "crew": crew}

    def person_external_ids(self, person: Person) -> JsonDict:
        # The sources know people's IMDb ids (for those in the TMDb people file), nothing else.
        # TMDb's keys, the retired Freebase and TVRage ones included.
        return {
            "freebase_mid": None,
            "freebase_id": None,
            "imdb_id": person.imdb_id,
            "tvrage_id": None,
            "facebook_id": None,
            "instagram_id": None,
            "tiktok_id": None,
            "twitter_id": None,
            "wikidata_id": None,
            "youtube_id": None,
        }

    def person_details(self, person: Person, append: Sequence[str]) -> JsonDict:
        summary = self.person_summary(person)
        del summary["original_name"]  # credits and search items carry it, TMDb's person details do not
        body: JsonDict = {
            **summary,
            "also_known_as": [],
            "biography": "",
            "birthday": None,
            "deathday": None,
            "homepage": None,
            "imdb_id": person.imdb_id,
            "place_of_birth": None,
        }
        if "movie_credits" in append:
            body["movie_credits"] = self.movie_credits_of(person)
        if "external_ids" in append:
            body["external_ids"] = self.person_external_ids(person)
        return body

    def find_results(self) -> JsonDict:
        """TMDb's /find body with nothing found: one list per kind of result."""
        return {
            "movie_results": [],
            "person_results": [],
            "tv_results": [],
            "tv_episode_results": [],
            "tv_season_results": [],
        }

    def person_search_item(self, person: Person) -> JsonDict:
        known_for = self.catalog.movies(self.catalog.person_movies(person.id)[:3])
        return {
            **self.person_summary(person),
            "known_for": [{**self.item(m), "media_type": "movie"} for m in known_for],
        }
