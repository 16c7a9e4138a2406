"""The deterministic rule-based parser: one chat message (English or French) -> ChatFilterState.

A message is normalised into folded tokens (``text.Text``), then read by the passes of
``PASSES``, in that order, each marking the tokens it used so later passes do not read them twice:

1. conversation markers ("start over"), references to what the client shows ("the second one",
   "not these") and pronouns ("without him") - ``references``;
2. similar-to and title triggers ("like Inception", "tell me about Amélie"), resolved through the
   EntityResolver; titles go first because they may contain ordinary words ("Scary Movie") - ``names``;
3. person triggers ("with Tom Hanks", "réalisé par Nolan", "sans Tom Cruise") - ``names``;
4. numbers: runtimes, ages, "top N", years and decades, ratings - ``numbers``;
5. the lexicon's phrases, longest first, with a rapidfuzz pass for typos ("thriler"); sorts and
   trending said of something else ("X is the best right now") dropped as opinions - ``vocabulary``;
6. negation ("no horror", "pas de dessin animé") assigned to the genres, moods and people it
   precedes - ``vocabulary``;
7. leftovers: names without a trigger ("Tom Hanks comedies"), or a message that is just a title
   - ``leftovers``.

The turn is then merged with the previous state (refinement) or replaces it (a new search): ``merge``.
Nothing here does I/O except through the resolver, and no text of the message ever reaches the
state other than as resolved ids, known vocabulary, numbers and keyword names from the lexicon.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from reelgraph.chat import lexicon as lx
from reelgraph.chat.entities import EntityResolver
from reelgraph.chat.filters import ChatFilterState
from reelgraph.chat.rules import leftovers, names, numbers, references, vocabulary
from reelgraph.chat.rules.clarify import pick_choice
from reelgraph.chat.rules.merge import answer_choice, merge
from reelgraph.chat.rules.text import Text, capitalized_words, writes_case
from reelgraph.chat.rules.turn import Pass, Reading, Turn
from reelgraph.text import is_french

MAX_MESSAGE_CHARS = 1000

# The pipeline: every pass reads the tokens the passes before it left free.
PASSES: tuple[Pass, ...] = (
    references.conversation_markers,
    references.visible_references,
    references.pronouns,
    names.titles,
    names.people,
    numbers.runtimes,
    numbers.ages,
    numbers.top_n,
    numbers.years,
    numbers.ratings,
    vocabulary.known_phrases,
    vocabulary.typos,
    vocabulary.opinions,
    vocabulary.negation,
    leftovers.leftovers,
)


class RuleParser:
    """Deterministic message -> filters, with people and titles resolved through ``resolver``."""

    def __init__(self, resolver: EntityResolver, reference_year: int | None = None) -> None:
        self.resolver = resolver
        self.reference_year = reference_year or date.today().year

    async def parse(
        self,
        message: str,
        previous: ChatFilterState | None = None,
        visible_ids: Sequence[int] = (),
        language: str | None = None,
    ) -> ChatFilterState:
        clipped = message[:MAX_MESSAGE_CHARS]
        if previous is not None and previous.intent == "CLARIFY" and previous.choices:
            # the answer to "which one?": "2", "the 1931 one", or the title
            picked = pick_choice(lx.normalize(clipped), previous)
            if picked is not None:
                lang = _reply_language(lx.normalize(clipped).split(), language, previous)
                answered = answer_choice(previous, picked, lang)
                answered.source = "rules"
                return answered.normalized()
        reading = Reading(
            text=Text(lx.normalize(clipped)),
            turn=Turn(),
            previous=previous,
            visible=[int(v) for v in visible_ids if isinstance(v, int) and v > 0],
            capitalized=capitalized_words(clipped),
            writes_case=writes_case(clipped),
            resolver=self.resolver,
            reference_year=self.reference_year,
        )
        lang = _reply_language(reading.text.tokens, language, previous)
        for step in PASSES:
            await step(reading)
        state = merge(reading, lang)
        state.source = "rules"
        return state.normalized()


def _reply_language(tokens: list[str], requested: str | None, previous: ChatFilterState | None) -> str:
    """The message's own language when its words tell, else the last turn's, else the request's."""
    fr = sum(1 for t in tokens if t in lx.FRENCH_HINTS)
    en = sum(1 for t in tokens if t in lx.ENGLISH_HINTS)
    if fr > en:
        return "fr"
    if en > fr:
        return "en"
    # a conversation keeps its language ("Inception" after French turns) over the request's default
    if previous is not None:
        return previous.language
    if requested:
        return "fr" if is_french(requested) else "en"
    return "en"
