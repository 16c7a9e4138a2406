"""Text search over catalog titles and names: folded texts, ranked in tiers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from reelgraph.text import ENGLISH_ARTICLES, drop_article, fold


@dataclass(slots=True)
class SearchEntry:
    item_id: int
    blob: str  # folded, punctuation-free texts, each preceded by a newline
    exact: frozenset[str]  # texts without a leading English article
    tokens: frozenset[str] = field(default_factory=frozenset)


def exact_key(folded: str) -> str:
    """What an exact-title match compares: the folded text without a leading English article."""
    return drop_article(folded, ENGLISH_ARTICLES)


def search_entry(item_id: int, texts: Iterable[str], fold_fn: Callable[[str], str] = fold) -> SearchEntry:
    folded = tuple(dict.fromkeys(f for f in map(fold_fn, texts) if f))
    return SearchEntry(
        item_id=item_id,
        blob="".join(f"\n{t}" for t in folded),
        exact=frozenset(exact_key(t) for t in folded),
        tokens=frozenset(tok for t in folded for tok in t.split()),
    )


def rank_matches(entries: Iterable[SearchEntry], query: str) -> list[int]:
    """Ids whose texts match ``query``, best tier first; order inside a tier is entry order.

    Tiers: exact title (ignoring a leading article), prefix, substring, then all query words
    present as words (the last one may be a word prefix, for type-ahead).
    """
    q = fold(query)
    if not q:
        return []
    q_exact = exact_key(q)
    line_prefixes = (f"\n{q}", f"\n{q_exact}")
    words = q.split()
    head, last = frozenset(words[:-1]), words[-1]
    tiers: list[list[int]] = [[], [], [], []]
    for entry in entries:
        # One substring test on the joined texts rejects almost every entry cheaply.
        if q in entry.blob:
            if q_exact in entry.exact:
                tiers[0].append(entry.item_id)
            elif any(p in entry.blob for p in line_prefixes):
                tiers[1].append(entry.item_id)
            else:
                tiers[2].append(entry.item_id)
        elif head and head <= entry.tokens and any(tok.startswith(last) for tok in entry.tokens):
            tiers[3].append(entry.item_id)
    return [i for tier in tiers for i in tier]
