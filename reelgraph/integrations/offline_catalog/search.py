"""Text search over catalog titles and names: folded texts, ranked in tiers.

An index is one string holding every entry's folded texts (each preceded by a newline) and the
offsets where entries start: a few hundred kilobytes where per-entry objects took tens of
megabytes. A search walks the occurrences of the query in that string (``str.find``, in C) and
looks only at the entries they fall in.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator

from reelgraph.text import ENGLISH_ARTICLES, drop_article, fold


def exact_key(folded: str) -> str:
    """What an exact-title match compares: the folded text without a leading English article."""
    return drop_article(folded, ENGLISH_ARTICLES)


class SearchIndex:
    """Entries (an id and its texts) in a fixed order, the order results keep inside a tier."""

    def __init__(
        self, entries: Iterable[tuple[int, Iterable[str]]], fold_fn: Callable[[str], str] = fold
    ) -> None:
        parts: list[str] = []
        ids = array("q")
        starts = array("q")
        offset = 0
        for item_id, texts in entries:
            folded = tuple(dict.fromkeys(f for f in map(fold_fn, texts) if f))
            blob = "".join(f"\n{t}" for t in folded)
            ids.append(item_id)
            starts.append(offset)
            parts.append(blob)
            offset += len(blob)
        starts.append(offset)
        self._blob = "".join(parts)
        self._ids = ids
        self._starts = starts

    def _entry(self, row: int) -> str:
        return self._blob[self._starts[row] : self._starts[row + 1]]

    def _rows_containing(self, text: str) -> Iterator[int]:
        """Rows whose texts contain ``text``, in order, once each. ``text`` holds no newline, so
        an occurrence never spans two entries."""
        blob, starts = self._blob, self._starts
        position = blob.find(text)
        while position >= 0:
            row = bisect_right(starts, position) - 1
            yield row
            position = blob.find(text, starts[row + 1])

    def find_exact(self, wanted: str) -> Iterator[int]:
        """Ids (in entry order) with a text whose exact key is ``wanted``."""
        if not wanted:
            return
        for row in self._rows_containing(wanted):
            if any(exact_key(t) == wanted for t in self._entry(row).split("\n")[1:]):
                yield self._ids[row]

    def rank(self, query: str) -> list[int]:
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
        substring_rows: set[int] = set()
        for row in self._rows_containing(q):
            substring_rows.add(row)
            blob = self._entry(row)
            if q_exact in {exact_key(t) for t in blob.split("\n")[1:]}:
                tiers[0].append(self._ids[row])
            elif any(p in blob for p in line_prefixes):
                tiers[1].append(self._ids[row])
            else:
                tiers[2].append(self._ids[row])
        if head:
            # Every head word is a whole token, so it occurs as text: its rows are the candidates.
            for row in self._rows_containing(max(head, key=len)):
                if row in substring_rows:
                    continue
                tokens = frozenset(self._entry(row).split())
                if head <= tokens and any(tok.startswith(last) for tok in tokens):
                    tiers[3].append(self._ids[row])
        return [i for tier in tiers for i in tier]
