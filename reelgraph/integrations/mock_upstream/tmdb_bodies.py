"""TMDb v3 JSON bodies built from the offline catalog (lists, details, credits, people)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar

from reelgraph.integrations.mock_upstream.tables import LANGUAGE_NAMES
from reelgraph.integrations.offline_catalog import Movie, OfflineCatalog, Person

PAGE_SIZE = 20

JsonDict = dict[str, Any]
_Item = TypeVar("_Item")


def page_of(items: Sequence[_Item], page: int) -> Sequence[_Item]:
    """The ``page``-th PAGE_SIZE slice of ``items`` (pages start at 1)."""
    start = (page - 1) * PAGE_SIZE
    return items[start : start + PAGE_SIZE]


def paged(page: int, total: int, results: list[JsonDict], **extra: Any) -> JsonDict:
    """TMDb's paged list envelope."""
    return {
        "page": page,
        "results": results,
        "total_pages": max(1, math.ceil(total / PAGE_SIZE)),
        "total_results": total,
        **extra,
    }


def credit_id(movie_id: int, person_id: int, kind: int) -> str:
    """A stable 24-hex credit id, shaped like TMDb's (which are Mongo ObjectIds)."""
    return f"{movie_id:012x}{person_id:08x}{kind:04x}"[-24:]


def _cast_credit(base: JsonDict, movie_id: int, person_id: int, order: int) -> JsonDict:
    # The sources do not say which role a star played.
    return {**base, "character": None, "credit_id": credit_id(movie_id, person_id, 0), "order": order}


def _director_credit(base: JsonDict, movie_id: int, person_id: int) -> JsonDict:
    return {
        **base,
        "credit_id": credit_id(movie_id, person_id, 1),
        "department": "Directing",
        "job": "Director",
    }


class TmdbResponses:
    """Builds TMDb v3 JSON bodies from the catalog. List items are built once per movie."""

    def __init__(self, catalog: OfflineCatalog) -> None:
        self.catalog = catalog
        self._items: dict[int, JsonDict] = {}

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
                "poster_path": None,
                "release_date": movie.release_date,
                "title": movie.title,
                "video": False,
                "vote_average": movie.vote_average,
                "vote_count": movie.vote_count,
            }
            self._items[movie.id] = cached
        return cached

    def envelope(self, movie_ids: Sequence[int], page: int, **extra: Any) -> JsonDict:
        movies = self.catalog.movies(page_of(movie_ids, page))
        media_type = extra.pop("media_type", None)  # trending items say what they are
        results = [
            self.item(m) if media_type is None else {**self.item(m), "media_type": media_type} for m in movies
        ]
        return paged(page, len(movie_ids), results, **extra)

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
        cast = [
            _cast_credit({**self.person_summary(person), "cast_id": order + 1}, movie.id, person.id, order)
            for order, person in enumerate(self.catalog.people(movie.cast_ids))
        ]
        crew = [
            _director_credit(self.person_summary(person), movie.id, person.id)
            for person in self.catalog.people(movie.director_ids)
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
            case "watch/providers":
                return {"results": {}}
            case "similar":
                return self.envelope(self.catalog.similar(movie.id), page)
            case "recommendations":
                return self.envelope(self.catalog.recommendations(movie.id), page)
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
            "origin_country": [],
            "original_language": movie.original_language,
            "original_title": movie.original_title,
            "overview": movie.overview,
            "popularity": movie.popularity,
            "poster_path": None,
            "production_companies": [
                {"id": c["id"], "logo_path": None, "name": c["name"], "origin_country": ""}
                for c in movie.production_companies
            ],
            "production_countries": list(movie.production_countries),
            "release_date": movie.release_date,
            "revenue": movie.revenue,
            "runtime": movie.runtime,
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
            "vote_average": movie.vote_average,
            "vote_count": movie.vote_count,
        }
        for part in append:
            value = self.movie_part(movie, part)
            if value is not None:
                body[part] = value
        return body

    def movie_credits_of(self, person: Person) -> JsonDict:
        cast = [
            _cast_credit(self.item(movie), movie.id, person.id, movie.cast_ids.index(person.id))
            for movie in self.catalog.movies(person.cast_movie_ids)
        ]
        crew = [
            _director_credit(self.item(movie), movie.id, person.id)
            for movie in self.catalog.movies(person.directed_movie_ids)
        ]
        return {"cast": cast, "crew": crew}

    def person_external_ids(self, person: Person) -> JsonDict:
        # The sources carry no external ids for people.
        return {
            "imdb_id": None,
            "facebook_id": None,
            "instagram_id": None,
            "tiktok_id": None,
            "twitter_id": None,
            "wikidata_id": None,
            "youtube_id": None,
        }

    def person_details(self, person: Person, append: Sequence[str]) -> JsonDict:
        body: JsonDict = {
            **self.person_summary(person),
            "also_known_as": [],
            "biography": "",
            "birthday": None,
            "deathday": None,
            "homepage": None,
            "imdb_id": None,
            "place_of_birth": None,
        }
        if "movie_credits" in append:
            body["movie_credits"] = self.movie_credits_of(person)
        if "external_ids" in append:
            body["external_ids"] = self.person_external_ids(person)
        return body

    def person_search_item(self, person: Person) -> JsonDict:
        known_for = self.catalog.movies(self.catalog.person_movies(person.id)[:3])
        return {
            **self.person_summary(person),
            "known_for": [{**self.item(m), "media_type": "movie"} for m in known_for],
        }
