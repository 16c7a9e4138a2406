"""The chat corpus (tests/chat_corpus.json) through the HTTP API: every case, multi-turn cases in one
session with visibleMovieIds passed as a client would. Checked per turn: intent, filters, choices,
relaxed constraints, reply language, and that every returned movie satisfies the filters in force
(read through the same query). Issue 19's figures: >= 97% of turns fully right, 100% consistent.

The per-category table is printed (pytest -s) and is part of every failure message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bench.chat_http import (
    TurnResult,
    category_table,
    failures,
    load_corpus,
    movie_violations,
    reply_language,
    run_corpus,
)
from reelgraph.app import create_app
from reelgraph.config import Settings

CORPUS = load_corpus()
CASES: list[dict[str, Any]] = CORPUS["cases"]
CATEGORIES = {
    "en-single",
    "fr-single",
    "multi-turn",
    "typos",
    "numbers-in-words",
    "colloquial",
    "long",
    "multi-constraint",
    "themes",
    "taste",
    "clarify",
    "relax",
    "language",
}
MIN_RIGHT_RATE = 0.97


@pytest.fixture(scope="module")
async def corpus_results(settings: Settings) -> AsyncIterator[list[TurnResult]]:
    """The whole corpus, once, through an app of its own: the default chat rate limit (30 a minute)
    would stop it after a few cases."""
    app = create_app(settings.model_copy(update={"chat_rate_limit": "1000000/minute"}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 40007)), base_url="http://test"
        ) as http,
    ):

        async def post(body: dict[str, Any]) -> dict[str, Any]:
            decoded: dict[str, Any] = (await http.post("/graphql", json=body)).json()
            return decoded

        results = await run_corpus(post, CORPUS)
        print("\nchat corpus over /graphql\n" + category_table(results))
        yield results


def test_corpus_shape() -> None:
    turns = [(case, turn) for case in CASES for turn in case.get("turns") or [case]]
    assert len(turns) >= 320 and len(CASES) >= 300
    assert {case["category"] for case in CASES} == CATEGORIES
    assert sum(1 for case, _ in turns if case["lang"] == "fr") >= 120
    assert sum(1 for case in CASES if "turns" in case) >= 40
    assert sum(1 for _, turn in turns if turn["expect"]["intent"] == "CLARIFY") >= 10
    assert sum(1 for _, turn in turns if turn["expect"].get("relaxed")) >= 10
    assert sum(1 for _, turn in turns if turn["expect"].get("keywords")) >= 20


def test_every_turn_was_answered(corpus_results: list[TurnResult]) -> None:
    assert len(corpus_results) == sum(len(case.get("turns") or [case]) for case in CASES)


def test_corpus_turns_are_right(corpus_results: list[TurnResult]) -> None:
    right = sum(r.right for r in corpus_results)
    table = category_table(corpus_results)
    assert right / len(corpus_results) >= MIN_RIGHT_RATE, f"\n{table}\n{failures(corpus_results)}"


def test_every_returned_movie_satisfies_the_filters(corpus_results: list[TurnResult]) -> None:
    broken = [r for r in corpus_results if r.inconsistent]
    lines = [f"{r.case_id} t{r.number} {r.message!r}: {'; '.join(r.inconsistent)}" for r in broken[:30]]
    assert not broken, f"{len(broken)} turns return movies that break their filters:\n" + "\n".join(lines)


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_category(category: str, corpus_results: list[TurnResult]) -> None:
    """One line per category, so a run shows which kinds of message fail."""
    group = [r for r in corpus_results if r.category == category]
    wrong = [r for r in group if not r.right]
    assert group
    assert len(wrong) <= len(group) * (1 - MIN_RIGHT_RATE), failures(wrong, 15)


# ------------------------------------------------------------------ the checker itself can fail


def test_reply_language_detector() -> None:
    assert reply_language("Here are comedies from the 1990s: “Les Visiteurs” and more.") == "en"
    assert reply_language("Voici des comédies des années 1990 : « The Mask » et d'autres.") == "fr"
    assert (
        reply_language("No 90s sci-fi with Keanu Reeves under 2 hours; here are the ones over 2 hours")
        == "en"
    )
    assert reply_language("Lequel voulez-vous dire ?") == "fr"
    assert reply_language("“Inception”") is None


def _movie(**values: Any) -> dict[str, Any]:
    movie = {
        "tmdbId": 603,
        "title": "The Matrix",
        "year": 1999,
        "runtime": 136,
        "originalLanguage": "en",
        "voteAverage": 7.9,
        "imdbRating": 8.7,
        "genres": [{"tmdbId": 28}, {"tmdbId": 878}],
        "cast": [{"person": {"tmdbId": 6384}}],
        "crew": [],
    }
    movie.update(values)
    return movie


def _filters(**values: Any) -> dict[str, Any]:
    filters: dict[str, Any] = {
        "genres": [],
        "excludeGenres": [],
        "people": [],
        "similarTo": [],
        "yearFrom": None,
        "yearTo": None,
        "minImdbRating": None,
        "minVoteAverage": None,
        "runtimeMax": None,
        "originalLanguage": None,
        "keywords": [],
        "sort": None,
    }
    filters.update(values)
    return filters


NO_HIDDEN: dict[str, Any] = {"runtime_min": None, "exclude_people": [], "exclude_ids": []}


def test_consistency_check_catches_each_filter() -> None:
    matrix = _movie()
    keanu_90s = _filters(genres=[{"tmdbId": 878}], people=[{"tmdbId": 6384}], yearFrom=1990, yearTo=1999)
    assert movie_violations(matrix, keanu_90s, [], False, NO_HIDDEN) == []
    assert movie_violations(matrix, _filters(runtimeMax=120), [], False, NO_HIDDEN) == ["runtimeMax"]
    # a constraint the answer says it relaxed no longer binds
    assert movie_violations(matrix, _filters(runtimeMax=120), ["runtimeMax"], False, NO_HIDDEN) == []
    assert movie_violations(
        matrix, _filters(genres=[{"tmdbId": 35}, {"tmdbId": 878}]), [], False, NO_HIDDEN
    ) == ["genres"]
    assert (
        movie_violations(matrix, _filters(genres=[{"tmdbId": 35}, {"tmdbId": 878}]), [], True, NO_HIDDEN)
        == []
    )
    assert movie_violations(matrix, _filters(excludeGenres=[{"tmdbId": 28}]), [], False, NO_HIDDEN) == [
        "excludeGenres"
    ]
    assert movie_violations(matrix, _filters(people=[{"tmdbId": 31}]), [], False, NO_HIDDEN) == ["people"]
    assert movie_violations(matrix, _filters(yearFrom=2000), [], False, NO_HIDDEN) == ["yearFrom"]
    assert movie_violations(matrix, _filters(minVoteAverage=8.0), [], False, NO_HIDDEN) == ["minVoteAverage"]
    assert movie_violations(matrix, _filters(minImdbRating=9.0), [], False, NO_HIDDEN) == ["minImdbRating"]
    assert movie_violations(matrix, _filters(originalLanguage="fr"), [], False, NO_HIDDEN) == [
        "originalLanguage"
    ]
    hidden = {"runtime_min": 150, "exclude_people": [6384], "exclude_ids": [603]}
    assert movie_violations(matrix, _filters(), [], False, hidden) == [
        "excludePeople",
        "runtimeMin",
        "excludeIds",
    ]
    # unknown runtime or year cannot be claimed to satisfy a bound
    assert movie_violations(_movie(runtime=None), _filters(runtimeMax=200), [], False, NO_HIDDEN) == [
        "runtimeMax"
    ]
