"""Recommendations: content (TF-IDF), collaborative (EASE), their hybrid, reasons, evaluation.

The server uses ``reelgraph.recommender.engine.RecommenderEngine``. The names below are loaded
lazily so that importing this package (the ``reelgraph`` command does, to add ``recs``) does not
pull in NumPy, SciPy and scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reelgraph.recommender.engine import (
        CommunityPrior,
        NotTrainedError,
        Preferences,
        Recommendation,
        RecommenderEngine,
        RecommenderModel,
        UserProfile,
    )
    from reelgraph.recommender.explain import Reason, ReasonKind
    from reelgraph.recommender.hybrid import Strategy

_EXPORTS = {
    "CommunityPrior": "engine",
    "NotTrainedError": "engine",
    "Preferences": "engine",
    "Recommendation": "engine",
    "RecommenderEngine": "engine",
    "RecommenderModel": "engine",
    "UserProfile": "engine",
    "Reason": "explain",
    "ReasonKind": "explain",
    "Strategy": "hybrid",
}

__all__ = [
    "CommunityPrior",
    "NotTrainedError",
    "Preferences",
    "Reason",
    "ReasonKind",
    "Recommendation",
    "RecommenderEngine",
    "RecommenderModel",
    "Strategy",
    "UserProfile",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
