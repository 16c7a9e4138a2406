"""Recommendation resolvers: the viewer's list, and local neighbours merged into Movie.recommendations."""

from __future__ import annotations

from strawberry.types import Info

from reelgraph.schema.pagination import check_first
from reelgraph.schema.types.catalog import GenreType, MovieType, PersonType
from reelgraph.schema.types.recommendations import Recommendation, RecommendationReason
from reelgraph.services import discovery
from reelgraph.services.discovery import MovieFilterSpec


async def recommendations(
    info: Info, strategy: str, first: int, spec: MovieFilterSpec | None, language: str | None
) -> list[Recommendation]:
    check_first(first)
    if spec is not None:
        discovery.validate(spec)
    viewer = await info.context.require_viewer()
    lang = await info.context.language(language)
    hidden = await info.context.loaders.library.hidden_movie_ids()
    found = await info.context.services.recommendations.recommend(viewer.id, strategy, first, spec, hidden)
    loaders = info.context.loaders.catalog
    # One batch for the recommended movies and every movie, genre and person the reasons name.
    movie_ids = {r.tmdb_id for r in found} | {x.movie_id for r in found for x in r.reasons if x.movie_id}
    person_ids = {x.person_id for r in found for x in r.reasons if x.person_id}
    movies = dict(zip(movie_ids, await loaders.movie.load_many([(m, lang) for m in movie_ids]), strict=True))
    people = dict(
        zip(person_ids, await loaders.person.load_many([(p, lang) for p in person_ids]), strict=True)
    )
    names = await loaders.genre_names.load(lang)

    def reason(x) -> RecommendationReason:  # type: ignore[no-untyped-def]
        return RecommendationReason(
            kind=x.kind.value,
            text=x.text(lang),
            because_of=MovieType.from_tmdb(movies[x.movie_id], lang) if movies.get(x.movie_id) else None,
            genre=GenreType(tmdb_id=x.genre_id, name=names.get(x.genre_id, str(x.genre_id)), _language=lang)
            if x.genre_id
            else None,
            person=PersonType.from_tmdb(people[x.person_id], lang, details=True)
            if people.get(x.person_id)
            else None,
        )

    return [
        Recommendation(
            movie=MovieType.from_tmdb(movies[r.tmdb_id], lang),
            score=round(r.score, 4),
            reasons=[reason(x) for x in r.reasons],
        )
        for r in found
        if movies.get(r.tmdb_id)  # the catalog must still know it: nothing invented
    ]


async def local_neighbours(info: Info, tmdb_id: int, k: int) -> list[int]:
    return await info.context.services.recommendations.similar_items(tmdb_id, k)


async def merged_recommendations(
    info: Info, movie: MovieType, first: int, include_hidden: bool
) -> list[MovieType]:
    """TMDb's recommendations interleaved with this server's item-item neighbours, without repeats.

    Hidden movies are dropped after interleaving, so the visible list is the full list minus the
    hidden ones, in the same order (prefix-stable as `first` grows).
    """
    from reelgraph.resolvers.catalog import hidden_filter, related_movies

    check_first(first)
    keep = await hidden_filter(info, include_hidden)
    hidden_count = len(await info.context.loaders.library.hidden_movie_ids()) if keep else 0
    wanted = min(first + hidden_count, 100)
    upstream = await related_movies(info, movie, "recommendations", wanted, True)
    neighbour_ids = await local_neighbours(info, movie.tmdb_id, wanted + 1)
    details = await info.context.loaders.catalog.movie.load_many(
        [(i, movie._language) for i in neighbour_ids]
    )
    local = [MovieType.from_tmdb(d, movie._language) for d in details if d and int(d["id"]) != movie.tmdb_id]
    merged: dict[int, MovieType] = {}
    for pair in zip(upstream, local, strict=False):
        for candidate in pair:
            merged.setdefault(candidate.tmdb_id, candidate)
    for candidate in [*upstream[len(local) :], *local[len(upstream) :]]:
        merged.setdefault(candidate.tmdb_id, candidate)
    merged.pop(movie.tmdb_id, None)
    found = list(merged.values())
    if keep is not None:
        flags = await keep([{"id": m.tmdb_id} for m in found])
        found = [m for m, visible in zip(found, flags, strict=True) if visible]
    return found[:first]
