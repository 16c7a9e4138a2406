"""What a phrase of the vocabulary means (``Effect``) and the tables phrases are collected in."""

from __future__ import annotations

from dataclasses import dataclass

from reelgraph.chat.filters import Sort


@dataclass(frozen=True, slots=True)
class Effect:
    """What a phrase means. ``kind`` says how the parser applies it."""

    kind: str  # genre, mood, topic, language, time, quality, length, sort, trending, compare, noise
    genres: tuple[int, ...] = ()
    keywords: tuple[str, ...] = ()
    language: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    relative: str | None = None  # recent, this_year, last_year, newer, older, shorter, longer, better
    min_vote_average: float | None = None
    runtime_max: int | None = None
    runtime_min: int | None = None
    sort: Sort | None = None


class PhraseTable(dict[tuple[str, ...], Effect]):
    """Folded phrase, as its tuple of tokens -> what it means. A phrase may be given twice only
    with the same effect: a second, different meaning is a mistake in the vocabulary."""

    def add(self, effect: Effect, *phrases: str) -> None:
        for phrase in phrases:
            self._put(tuple(phrase.split()), effect)

    def include(self, other: PhraseTable) -> None:
        for key, effect in other.items():
            self._put(key, effect)

    def _put(self, key: tuple[str, ...], effect: Effect) -> None:
        if key in self and self[key] != effect:
            raise ValueError(f"phrase {' '.join(key)!r} defined twice")
        self[key] = effect


def genre(*ids: int) -> Effect:
    return Effect("genre", genres=ids)


def mood(*ids: int, keywords: tuple[str, ...] = ()) -> Effect:
    return Effect("mood", genres=ids, keywords=keywords)


def topic(*keywords: str, genres: tuple[int, ...] = ()) -> Effect:
    return Effect("topic", genres=genres, keywords=keywords)
