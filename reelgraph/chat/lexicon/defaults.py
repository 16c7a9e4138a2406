"""The numbers vague words stand for ("recent", "short", "acclaimed") and the steps comparatives
take ("shorter", "better"), shared by the vocabulary and the rule parser's merge."""

from __future__ import annotations

from typing import Final

# Relative time and length defaults (years relative to the parser's reference year).
RECENT_YEARS: Final = 5  # "recent" = released in the last 5 years
CLASSIC_YEAR_TO: Final = 1979  # "classic" / "old" = before 1980
MODERN_YEAR_FROM: Final = 2000
SHORT_RUNTIME: Final = 100  # "short", "something short"
NOT_TOO_LONG_RUNTIME: Final = 120
LONG_RUNTIME: Final = 140  # "long", "epic length" -> runtime_min
SHORTER_STEP: Final = 20  # "shorter" lowers the previous maximum by this much
MIN_SHORTER: Final = 60
ACCLAIMED_RATING: Final = 7.5
GOOD_RATING: Final = 7.0
MASTERPIECE_RATING: Final = 8.0
BETTER_STEP: Final = 0.5
