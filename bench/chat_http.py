"""The chat corpus (tests/chat_corpus.json) over /graphql, offline: is every turn fully right, and how
long does a whole turn take (understanding, finding movies, replying, storing the turn)?

A turn is fully right when its intent, its filters (as ChatFilters shows them), its choices, its
relaxed constraints and its reply language are the ones expected, and every movie it returns
satisfies the filters in force (read through the same query). tests/test_chat_corpus.py runs the
same checks with the test app; this script prints the per-category table and p50/p99.

    python -m bench.chat_http [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

CORPUS_PATH = Path(__file__).resolve().parent.parent / "tests" / "chat_corpus.json"

CHAT = """
mutation Chat($m: String!, $s: ID, $v: [Int!], $l: String) {
  chat(message: $m, sessionId: $s, visibleMovieIds: $v, language: $l) {
    session { id }
    reply
    intent
    filters {
      genres { tmdbId } excludeGenres { tmdbId } people { tmdbId } similarTo { tmdbId }
      yearFrom yearTo minImdbRating minVoteAverage runtimeMax originalLanguage keywords sort
    }
    movies {
      tmdbId title year runtime originalLanguage voteAverage imdbRating genres { tmdbId }
      cast(first: 500) { person { tmdbId } }
      crew { person { tmdbId } }
    }
    CHOICES
    RELAXED
    errors { code message }
  }
}
"""

# A lighter turn for the timings: what a client shows (titles, the reply), not every credit.
CHAT_TIMED = """
mutation Chat($m: String!, $s: ID, $v: [Int!], $l: String) {
  chat(message: $m, sessionId: $s, visibleMovieIds: $v, language: $l) {
    session { id } reply intent movies { tmdbId title year posterUrl } CHOICES RELAXED
  }
}
"""
OPTIONAL_FIELDS = {"CHOICES": ("choices", "choices { tmdbId title year }"), "RELAXED": ("relaxed", "relaxed")}
PAYLOAD_FIELDS = '{ __type(name: "ChatPayload") { fields { name } } }'

# TMDb genre ids by the English names the corpus uses.
GENRE_IDS = {
    "Action": 28,
    "Adventure": 12,
    "Animation": 16,
    "Comedy": 35,
    "Crime": 80,
    "Documentary": 99,
    "Drama": 18,
    "Family": 10751,
    "Fantasy": 14,
    "History": 36,
    "Horror": 27,
    "Music": 10402,
    "Mystery": 9648,
    "Romance": 10749,
    "Science Fiction": 878,
    "TV Movie": 10770,
    "Thriller": 53,
    "War": 10752,
    "Western": 37,
}

# Words that only one of the two languages uses (titles are removed from the reply first).
EN_WORDS = frozenset(
    [
        "the",
        "and",
        "or",
        "of",
        "with",
        "from",
        "for",
        "here",
        "are",
        "is",
        "some",
        "no",
        "not",
        "that",
        "this",
        "you",
        "your",
        "more",
        "like",
        "under",
        "without",
        "what",
        "which",
        "one",
        "to",
        "in",
        "by",
        "it",
        "want",
        "try",
        "found",
        "these",
        "there",
        "than",
        "over",
        "movie",
        "movies",
        "here's",
        "about",
        "any",
    ]
)
FR_WORDS = frozenset(
    [
        "le",
        "la",
        "les",
        "des",
        "un",
        "une",
        "et",
        "ou",
        "de",
        "du",
        "avec",
        "pour",
        "voici",
        "sont",
        "est",
        "quelques",
        "pas",
        "sans",
        "que",
        "qui",
        "ce",
        "cette",
        "vous",
        "plus",
        "comme",
        "moins",
        "années",
        "aucun",
        "essayez",
        "trouvé",
        "ces",
        "lequel",
        "voulez",
        "sur",
        "au",
        "aux",
        "votre",
        "je",
    ]
)
_QUOTED = re.compile(r"“[^”]*”|«[^»]*»|\"[^\"]*\"")
_WORD = re.compile(r"[a-zà-ÿ']+")


def reply_language(text: str) -> str | None:
    """ "en" or "fr" by stop-word counts, quoted titles left out; None when it cannot tell."""
    words = [w.strip("'") for w in _WORD.findall(_QUOTED.sub(" ", text.lower()))]
    en = sum(1 for w in words if w in EN_WORDS)
    fr = sum(1 for w in words if w in FR_WORDS or w.startswith(("d'", "l'", "qu'")))
    if en == fr:
        return None
    return "en" if en > fr else "fr"


def load_corpus(path: Path = CORPUS_PATH) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def turns_of(case: dict[str, Any]) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = case.get("turns") or [
        {"message": case["message"], "expect": case["expect"]}
    ]
    return turns


class Names:
    """Corpus names to TMDb ids, through the offline catalog (exact names, as test_chat_rules checks)."""

    def __init__(self) -> None:
        from reelgraph.integrations.offline_catalog import OfflineCatalog

        self.catalog = OfflineCatalog.load()

    def person(self, name: str) -> int:
        found = [p.id for p in self.catalog.search_people(name) if p.name == name]
        if len(found) != 1:
            raise ValueError(f"corpus person {name!r} is not exactly one catalog person")
        return found[0]

    def movie(self, title: str | int) -> int:
        if isinstance(title, int):
            return title
        movie = self.catalog.find_by_title(title)
        if movie is None or movie.title != title:
            raise ValueError(f"corpus title {title!r} is not a catalog title")
        return movie.id


@dataclass
class TurnResult:
    case_id: str
    category: str
    number: int
    message: str
    problems: list[str] = field(default_factory=list)
    # Movies that break a filter in force: the consistency figure (100% required).
    inconsistent: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0

    @property
    def right(self) -> bool:
        return not self.problems and not self.inconsistent


def expected_filters(expect: dict[str, Any], names: Names) -> dict[str, Any]:
    """What ChatFilters should show, in the payload's own shape (ids sorted)."""
    return {
        "genres": sorted(GENRE_IDS[g] for g in expect.get("genres", [])),
        "excludeGenres": sorted(GENRE_IDS[g] for g in expect.get("exclude_genres", [])),
        "people": sorted(names.person(p) for p in expect.get("people", [])),
        "similarTo": sorted(names.movie(m) for m in expect.get("similar_to", [])),
        "yearFrom": expect.get("year_from"),
        "yearTo": expect.get("year_to"),
        "minImdbRating": expect.get("min_imdb_rating"),
        "minVoteAverage": expect.get("min_vote_average"),
        "runtimeMax": expect.get("runtime_max"),
        "originalLanguage": expect.get("original_language"),
        "keywords": sorted(expect.get("keywords", [])),
        "sort": expect.get("sort"),
    }


def actual_filters(filters: dict[str, Any]) -> dict[str, Any]:
    out = dict(filters)
    for name in ("genres", "excludeGenres", "people", "similarTo"):
        out[name] = sorted(item["tmdbId"] for item in filters[name])
    out["keywords"] = sorted(filters["keywords"])
    return out


def movie_violations(
    movie: dict[str, Any],
    filters: dict[str, Any],
    relaxed: list[str],
    genre_any: bool,
    hidden: dict[str, Any],
) -> list[str]:
    """The filters in force (the payload's, less what it says it relaxed, plus the ones ChatFilters
    does not show: runtime_min, exclude_people, exclude_ids) that this movie breaks."""
    broken: list[str] = []

    def active(name: str) -> Any:
        return None if name in relaxed else filters.get(name)

    genres = {g["tmdbId"] for g in movie["genres"]}
    wanted = {g["tmdbId"] for g in filters["genres"]}
    if wanted and not (genres & wanted if genre_any else wanted <= genres):
        broken.append("genres")
    if genres & {g["tmdbId"] for g in filters["excludeGenres"]}:
        broken.append("excludeGenres")
    credited = {c["person"]["tmdbId"] for c in (*movie["cast"], *movie["crew"])}
    if "people" not in relaxed and not {p["tmdbId"] for p in filters["people"]} <= credited:
        broken.append("people")
    if credited & set(hidden["exclude_people"]):
        broken.append("excludePeople")
    year, runtime = movie["year"], movie["runtime"]
    if active("yearFrom") is not None and (year is None or year < filters["yearFrom"]):
        broken.append("yearFrom")
    if active("yearTo") is not None and (year is None or year > filters["yearTo"]):
        broken.append("yearTo")
    if active("runtimeMax") is not None and (runtime is None or runtime > filters["runtimeMax"]):
        broken.append("runtimeMax")
    runtime_min = None if "runtimeMin" in relaxed else hidden["runtime_min"]
    if runtime_min is not None and (runtime is None or runtime < runtime_min):
        broken.append("runtimeMin")
    vote = movie["voteAverage"]
    if active("minVoteAverage") is not None and (vote is None or vote < filters["minVoteAverage"]):
        broken.append("minVoteAverage")
    imdb = movie["imdbRating"]
    if active("minImdbRating") is not None and (imdb is None or imdb < filters["minImdbRating"]):
        broken.append("minImdbRating")
    if filters["originalLanguage"] and movie["originalLanguage"] != filters["originalLanguage"]:
        broken.append("originalLanguage")
    if movie["tmdbId"] in hidden["exclude_ids"]:
        broken.append("excludeIds")
    return broken


Post = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


async def chat_queries(post: Post) -> tuple[str, str]:
    """CHAT and CHAT_TIMED for this server: ChatPayload.choices and .relaxed (issue 19) are asked
    only once the schema has them; until then they read as empty, so turns expecting them fail."""
    body = await post({"query": PAYLOAD_FIELDS})
    present = {f["name"] for f in body["data"]["__type"]["fields"]}
    queries = []
    for query in (CHAT, CHAT_TIMED):
        for marker, (name, selection) in OPTIONAL_FIELDS.items():
            query = query.replace(marker, selection if name in present else "")
        queries.append(query)
    return queries[0], queries[1]


async def run_case(case: dict[str, Any], post: Post, names: Names, query: str = CHAT) -> list[TurnResult]:
    """Every turn of one case in one session, visibleMovieIds passed as a client would: the turn's
    own ``visible`` when it lists one, else what the previous turn showed (its choices after a
    CLARIFY, else its movies)."""
    results: list[TurnResult] = []
    session_id: str | None = None
    shown: list[int] = []
    genre_any = False
    turns = turns_of(case)
    for number, turn in enumerate(turns, start=1):
        expect: dict[str, Any] = turn["expect"]
        result = TurnResult(case["id"], case["category"], number, turn["message"])
        results.append(result)
        visible = [names.movie(t) for t in turn["visible"]] if "visible" in turn else shown
        language = turn.get("request_language") or case.get("request_language")
        variables = {"m": turn["message"], "s": session_id, "v": visible, "l": language}
        started = time.perf_counter()
        body = await post({"query": query, "variables": variables})
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        payload = (body.get("data") or {}).get("chat")
        if body.get("errors") or payload is None:
            result.problems.append(f"GraphQL errors: {body.get('errors')}")
            # the session cannot go on: the turns left count as wrong
            for later, rest in enumerate(turns[number:], start=number + 1):
                missed = TurnResult(case["id"], case["category"], later, rest["message"])
                missed.problems.append("not run: an earlier turn failed")
                results.append(missed)
            break
        if payload["errors"]:
            result.problems.append(f"user errors: {payload['errors']}")
        payload.setdefault("choices", [])
        payload.setdefault("relaxed", [])
        if payload["session"]:
            session_id = payload["session"]["id"]
        if payload["intent"] != expect["intent"]:
            result.problems.append(f"intent {payload['intent']} != {expect['intent']}")
        wanted, got = expected_filters(expect, names), actual_filters(payload["filters"])
        for name, value in wanted.items():
            if got[name] != value:
                result.problems.append(f"{name} {got[name]!r} != {value!r}")
        if "choices" in expect:
            titles = [c["title"] for c in payload["choices"]]
            wanted_titles = expect["choices"]
            seen = titles[: len(wanted_titles)] if expect.get("choices_prefix") else titles
            if seen != wanted_titles:
                result.problems.append(f"choices {titles!r} != {wanted_titles!r}")
        if payload["relaxed"] != expect.get("relaxed", []):
            result.problems.append(f"relaxed {payload['relaxed']!r} != {expect.get('relaxed', [])!r}")
        wanted_language = expect.get("reply_language", case["lang"])
        if reply_language(payload["reply"]) != wanted_language:
            result.problems.append(f"reply not in {wanted_language}: {payload['reply']!r}")
        if "genre_match" in expect:
            genre_any = expect["genre_match"] == "ANY"
        hidden = {
            "runtime_min": expect.get("runtime_min"),
            "exclude_people": [names.person(p) for p in expect.get("exclude_people", [])],
            "exclude_ids": [names.movie(m) for m in expect.get("exclude_ids", [])],
        }
        for movie in payload["movies"]:
            broken = movie_violations(movie, payload["filters"], payload["relaxed"], genre_any, hidden)
            if broken:
                result.inconsistent.append(f"{movie['title']} ({movie['year']}) breaks {', '.join(broken)}")
        choices = [c["tmdbId"] for c in payload["choices"]]
        shown = (
            choices
            if payload["intent"] == "CLARIFY" and choices
            else [m["tmdbId"] for m in payload["movies"]]
        )
    return results


async def run_corpus(post: Post, corpus: dict[str, Any] | None = None) -> list[TurnResult]:
    data = corpus or load_corpus()
    names = Names()
    query, _ = await chat_queries(post)
    results: list[TurnResult] = []
    for case in data["cases"]:
        results.extend(await run_case(case, post, names, query))
    return results


async def time_corpus(post: Post, corpus: dict[str, Any] | None = None) -> list[float]:
    """Milliseconds per turn over the corpus, each case in its own session, asking what a client
    shows; visibleMovieIds as in run_case."""
    data = corpus or load_corpus()
    names = Names()
    _, query = await chat_queries(post)
    timings: list[float] = []
    for case in data["cases"]:
        session_id: str | None = None
        shown: list[int] = []
        for turn in turns_of(case):
            visible = [names.movie(t) for t in turn["visible"]] if "visible" in turn else shown
            language = turn.get("request_language") or case.get("request_language")
            variables = {"m": turn["message"], "s": session_id, "v": visible, "l": language}
            started = time.perf_counter()
            body = await post({"query": query, "variables": variables})
            timings.append((time.perf_counter() - started) * 1000)
            payload = (body.get("data") or {}).get("chat")
            if payload is None:  # counted as a wrong turn by run_corpus; the session cannot go on
                break
            session_id = payload["session"]["id"] if payload["session"] else None
            choices = [c["tmdbId"] for c in payload.get("choices", [])]
            shown = (
                choices
                if payload["intent"] == "CLARIFY" and choices
                else [m["tmdbId"] for m in payload["movies"]]
            )
    return timings


def category_table(results: list[TurnResult]) -> str:
    """Per category: turns, fully right, rate, turns whose movies all satisfy the filters."""
    rows: dict[str, list[TurnResult]] = {}
    for result in results:
        rows.setdefault(result.category, []).append(result)
    lines = [f"{'category':<18} {'turns':>5} {'right':>5} {'rate':>7} {'consistent':>10}"]
    for category, group in [*sorted(rows.items()), ("all", results)]:
        right = sum(r.right for r in group)
        consistent = sum(not r.inconsistent for r in group)
        lines.append(
            f"{category:<18} {len(group):>5} {right:>5} {100 * right / len(group):>6.1f}% "
            f"{100 * consistent / len(group):>9.1f}%"
        )
    return "\n".join(lines)


def failures(results: list[TurnResult], limit: int = 40) -> str:
    wrong = [r for r in results if not r.right]
    lines = [
        f"{r.case_id} t{r.number} [{r.category}] {r.message[:60]!r}: {'; '.join(r.inconsistent + r.problems)}"
        for r in wrong[:limit]
    ]
    if len(wrong) > limit:
        lines.append(f"... and {len(wrong) - limit} more")
    return "\n".join(lines)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


async def main(rounds: int, show: int) -> None:
    from reelgraph.app import create_app
    from reelgraph.config import Settings
    from reelgraph.persistence.migrate import upgrade_to_head

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp}/bench.db",
            jwt_secret="bench-" + "x" * 40,
            recs_train_on_start=False,
            chat_rate_limit="1000000/minute",
            rate_limit="1000000/minute",
            response_cache_seconds=0,
        )
        await asyncio.to_thread(upgrade_to_head, settings.database_url)
        app = create_app(settings)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=60
            ) as client,
        ):

            async def post(body: dict[str, Any]) -> dict[str, Any]:
                decoded: dict[str, Any] = (await client.post("/graphql", json=body)).json()
                return decoded

            # The correctness run also warms the caches; the timed rounds follow.
            first = await run_corpus(post)
            latencies: list[float] = []
            for _ in range(rounds):
                latencies.extend(await time_corpus(post))
    print(category_table(first))
    print(f"\n{sum(not r.right for r in first)} of {len(first)} turns not fully right")
    print(failures(first, show))
    if latencies:
        print(
            f"\n{len(first)} corpus turns x {rounds} warm rounds = {len(latencies)} chat turns over /graphql "
            "(offline catalog, SQLite, in-process ASGI)"
        )
        print(
            f"p50 {statistics.median(latencies):.1f} ms   p99 {percentile(latencies, 0.99):.1f} ms   "
            f"max {max(latencies):.1f} ms"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds over the corpus (0: none)")
    parser.add_argument("--show", type=int, default=25, help="how many wrong turns to list")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rounds, arguments.show))
