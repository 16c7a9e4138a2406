"""What a viewer told us, as the recommender takes it: ratings, interactions, stated preferences."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Preferences:
    """Stated preferences (the ``preferences`` table), TMDb ids."""

    favorite_genres: tuple[int, ...] = ()
    disliked_genres: tuple[int, ...] = ()
    favorite_people: tuple[int, ...] = ()
    favorite_movies: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class UserProfile:
    """What the viewer told us: ratings (0.5-5), interaction kinds per movie, preferences.

    ``rated_at`` holds, per movie, when the viewer last rated or interacted with it (Unix
    seconds); movies without a time count as of the viewer's latest activity (no decay).
    """

    ratings: Mapping[int, float] = field(default_factory=dict)
    interactions: Mapping[int, AbstractSet[str]] = field(default_factory=dict)
    preferences: Preferences = field(default_factory=Preferences)
    rated_at: Mapping[int, float] = field(default_factory=dict)
