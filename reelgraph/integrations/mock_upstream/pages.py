"""How the mock cuts a list into TMDb pages: 20 items each, or TMDb's real 19-21."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

PAGE_SIZE = 20
# Page p starts (p - 1) * 20 + offset: sizes cycle 21, 20, 19, 20 (the captured recommendations
# page 1 has 21), and consecutive pages never overlap nor skip an item.
_VARIABLE_OFFSETS = (0, 1, 1, 0)

_Item = TypeVar("_Item")


@dataclass(frozen=True, slots=True)
class PageLayout:
    variable: bool = False

    def start(self, page: int) -> int:
        """Index of the first item of ``page`` (pages start at 1)."""
        base = (page - 1) * PAGE_SIZE
        return base + _VARIABLE_OFFSETS[(page - 1) % len(_VARIABLE_OFFSETS)] if self.variable else base

    def slice(self, items: Sequence[_Item], page: int) -> Sequence[_Item]:
        return items[self.start(page) : self.start(page + 1)]

    def total_pages(self, total: int) -> int:
        """Pages holding ``total`` items (at least 1, as TMDb says for an empty list)."""
        pages = max(1, math.ceil(total / PAGE_SIZE))
        while pages > 1 and self.start(pages) >= total:
            pages -= 1
        while self.start(pages + 1) < total:
            pages += 1
        return pages


FIXED_PAGES = PageLayout()
