"""The discover filter as plain data: what the schema's MovieFilter, the assistant's filters and
the recommender's candidate filter all mean by "movies like this"."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class MovieFilterSpec:
    """MovieFilter as plain data (the schema's input converts into this)."""

    genres: list[int] = field(default_factory=list)
    genre_match: str = "ANY"
    exclude_genres: list[int] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    min_vote_average: float | None = None
    min_vote_count: int | None = None
    min_imdb_rating: float | None = None
    min_imdb_votes: int | None = None
    runtime_min: int | None = None
    runtime_max: int | None = None
    original_language: str | None = None
    with_people: list[int] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    watch_providers: list[int] = field(default_factory=list)
    watch_region: str | None = None
    include_adult: bool = False

    @property
    def needs_imdb(self) -> bool:
        return self.min_imdb_rating is not None or self.min_imdb_votes is not None
