"""Query.recommendations: the viewer's personalised list, each movie with the reasons behind it."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.types.nodes import SelectedField, Selection

from reelgraph.recommender.engine import Recommendation as Scored
from reelgraph.schema.catalog.inputs import MovieFilter
from reelgraph.schema.catalog.types import Genre, Movie, Person
from reelgraph.schema.context import Info
from reelgraph.schema.pagination import page_size
from reelgraph.schema.recommendations.types import (
    Recommendation,
    RecommendationReason,
    RecommendationStrategy,
)
from reelgraph.services import age_gate, discovery

AGE_GATE_OVERFETCH = 3
MAX_RECOMMENDATIONS = 100


async def recommendations(
    info: Info,
    strategy: RecommendationStrategy | None = RecommendationStrategy.HYBRID,
    first: int | None = 20,
    filter: MovieFilter | None = None,
    language: str | None = None,
) -> list[Recommendation]:
    size = page_size(first)
    spec = filter.to_spec() if filter else None
    if spec is not None:
        discovery.validate(spec)
    viewer = await info.context.signed_in_viewer()
    lang = await info.context.language(language)
    hidden = await info.context.loaders.hidden_movies.load()
    chosen = (strategy or RecommendationStrategy.HYBRID).value
    gate = await age_gate.gate_of(info.context.loaders)
    age_gate.refuse_adult(gate, bool(spec and spec.include_adult))
    # A minor's list loses what their age does not admit: ask for more, keep the first admitted.
    wanted = size if gate is None else min(size * AGE_GATE_OVERFETCH, MAX_RECOMMENDATIONS)
    found = await info.context.services.recommendations.recommend(viewer.id, chosen, wanted, spec, hidden)
    if gate is not None:
        flags = await gate.keep(info.context.loaders, [{"id": r.tmdb_id} for r in found])
        found = [r for r, ok in zip(found, flags, strict=True) if ok][:size]
    return await _wrap(info, found, lang)


async def _wrap(info: Info, found: list[Scored], lang: str) -> list[Recommendation]:
    loaders = info.context.loaders
    # One batch for the recommended movies and every movie and person the reasons name, when the
    # query asks for them (most lists show the reasons' texts only).
    wanted = _reason_fields(info)
    movie_ids = {r.tmdb_id for r in found}
    if "becauseOf" in wanted:
        movie_ids |= {x.movie_id for r in found for x in r.reasons if x.movie_id}
    person_ids = (
        {x.person_id for r in found for x in r.reasons if x.person_id} if "person" in wanted else set()
    )
    movies = dict(zip(movie_ids, await loaders.movie.load_many([(m, lang) for m in movie_ids]), strict=True))
    people = dict(
        zip(person_ids, await loaders.person.load_many([(p, lang) for p in person_ids]), strict=True)
    )
    names = await loaders.genre_names.load(lang)

    def movie_of(movie_id: int | None) -> Movie | None:
        details = movies.get(movie_id) if movie_id else None
        return Movie.from_tmdb(details, lang) if details else None

    def person_of(person_id: int | None) -> Person | None:
        details = people.get(person_id) if person_id else None
        return Person.from_tmdb(details, lang, details=True) if details else None

    return [
        Recommendation(
            movie=Movie.from_tmdb(details, lang),
            score=round(r.score, 4),
            reasons=[
                RecommendationReason(
                    kind=x.kind.value,
                    text=x.text(lang),
                    because_of=movie_of(x.movie_id),
                    genre=Genre.of(x.genre_id, names, lang) if x.genre_id else None,
                    person=person_of(x.person_id),
                )
                for x in r.reasons
            ],
        )
        for r in found
        if (details := movies.get(r.tmdb_id))  # the catalog must still know it: nothing invented
    ]


def _reason_fields(info: Info) -> set[str]:
    """Names of the fields selected under ``reasons`` (through fragments too)."""
    found: set[str] = set()

    def walk(selections: Sequence[Selection], under_reasons: bool) -> None:
        for selection in selections:
            name = selection.name if isinstance(selection, SelectedField) else None  # or a fragment
            if under_reasons and name:
                found.add(name)
            walk(selection.selections, under_reasons or name == "reasons")

    walk(info.selected_fields, False)
    return found
