"""The edge: the one pure-ASGI pass every request goes through first (reelgraph.edge.front)."""

from __future__ import annotations

from reelgraph.edge.front import Edge

__all__ = ["Edge"]
