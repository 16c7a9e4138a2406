"""What the passes share while they read one message: the ``Reading`` (the text, the context and
the resolver) and the ``Turn`` they fill in (everything the message says, before the merge)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from reelgraph.chat import lexicon as lx
from reelgraph.chat.entities import CreditCounter, EntityResolver, MovieHit, PersonHit
from reelgraph.chat.filters import ChatFilterState, Sort
from reelgraph.chat.rules.text import Text

logger = logging.getLogger("reelgraph.chat.rules")

MAX_RESOLVER_CALLS = 8  # a hostile message full of "with X" must not fan out into many searches


@dataclass(slots=True)
class Mention:
    start: int
    end: int
    kind: str
    effect: lx.Effect | None = None
    person: PersonHit | None = None
    negated: bool = False


@dataclass(slots=True)
class Turn:
    """Everything one message says, before it is merged with the previous state."""

    mentions: list[Mention] = field(default_factory=list)
    similar: list[MovieHit] = field(default_factory=list)
    disliked: list[MovieHit] = field(default_factory=list)  # "I hated Alien"
    liked: int | None = None  # "I loved Alien": the movie to offer rating
    # Why the turn must ask instead of guess: "reference" ("the second one", nothing shown),
    # "person" ("without him", nobody named yet), "title" (several movies have the title).
    clarify: str | None = None
    choices: list[MovieHit] = field(default_factory=list)
    clarify_keeps: bool = False  # the question keeps the filters in force (choices among the shown)
    title: MovieHit | None = None
    title_person: PersonHit | None = None
    similar_visible: list[int] = field(default_factory=list)
    title_visible: int | None = None
    exclude_ids: list[int] = field(default_factory=list)
    exclude_visible: bool = False
    drop_people: list[int] = field(default_factory=list)
    pronoun_keep: bool = False
    year_from: int | None = None
    year_to: int | None = None
    years_set: bool = False
    runtime_min: int | None = None
    runtime_max: int | None = None
    rating: float | None = None
    imdb_rating: float | None = None
    relatives: list[str] = field(default_factory=list)
    sort: Sort | None = None
    trending: bool = False
    smalltalk: bool = False
    family_age: bool = False
    reset: bool = False  # "start over", "new search": the previous filters do not carry over
    understood: bool = False
    resolver_calls: int = 0


@dataclass(slots=True)
class Reading:
    """One message being read: its text and turn, the conversation around it, and the resolver.
    One is made per ``parse`` call, so concurrent requests never share a resolver budget."""

    text: Text
    turn: Turn
    previous: ChatFilterState | None
    visible: list[int]  # the TMDb ids the client shows, in order
    capitalized: frozenset[str]  # folded words the user wrote with a capital letter
    resolver: EntityResolver
    reference_year: int
    # The user capitalises words inside sentences (so a lowercase run is not meant as a name).
    writes_case: bool = False

    def budget(self) -> bool:
        """Count one resolver call; False once the turn has spent its budget."""
        self.turn.resolver_calls += 1
        return self.turn.resolver_calls <= MAX_RESOLVER_CALLS

    async def search_people(self, query: str) -> list[PersonHit]:
        try:
            return list(await self.resolver.search_people(query))
        except Exception:  # an upstream outage costs the names, not the whole turn
            logger.warning("chat: person search failed", exc_info=True)
            return []

    async def credit_counts(self, person_ids: list[int]) -> dict[int, int]:
        """How many movies credit each person, when the resolver can tell (else empty)."""
        if not isinstance(self.resolver, CreditCounter) or not self.budget():
            return {}
        try:
            return dict(await self.resolver.credit_counts(person_ids))
        except Exception:
            logger.warning("chat: credit counts failed", exc_info=True)
            return {}

    async def search_movies(self, query: str) -> list[MovieHit]:
        try:
            return list(await self.resolver.search_movies(query))
        except Exception:
            logger.warning("chat: movie search failed", exc_info=True)
            return []


# Every pass has this shape: it reads ``reading.text``, marks the tokens it used and records what
# they said in ``reading.turn``. The parser runs them in the order of ``parser.PASSES``.
Pass = Callable[[Reading], Awaitable[None]]
